using System.Data.Common;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AdminPortal.App.Features.ViewAs;

/// <summary>Thrown when a read-only "view as" scope tries to write anything.</summary>
public sealed class ReadOnlyViewException(string message) : InvalidOperationException(message);

/// <summary>
/// The data layer's half of "view as is read-only" (the other half is the disabled UI): a <see cref="PortalDbContext"/>
/// whose scope is a view-as scope saves nothing, and sends the database nothing but SELECTs.
/// </summary>
/// <remarks>
/// Two places, because writes take two roads: SaveChanges (checked in <see cref="PortalDbContext"/>), and commands that
/// never pass through it (ExecuteUpdate/ExecuteDelete, raw SQL), which <see cref="Interceptor"/> refuses before they
/// reach the database. The view-as audit entries are written from the viewer's own scope, never this one.
/// </remarks>
public static class ReadOnlyViewGuard
{
    public static readonly DbCommandInterceptor Interceptor = new ReadOnlyCommandInterceptor();

    public static void RefuseWrites(TenantScope scope, bool hasChanges)
    {
        if (scope.ViewAs is { } viewer && hasChanges)
        {
            throw Refusal(scope, viewer);
        }
    }

    private static ReadOnlyViewException Refusal(TenantScope scope, ViewAsViewer viewer) =>
        new($"{viewer.Name} is viewing the portal as {scope.Actor}, which is read-only: nothing was changed.");

    /// <summary>Whether every statement of <paramref name="sql"/> is a SELECT (comments and blank statements aside).</summary>
    /// <remarks>Fails closed: anything it cannot read as a SELECT (a semicolon inside a literal, say) counts as a write.</remarks>
    public static bool IsSelectOnly(string sql)
    {
        bool any = false;
        foreach (string statement in sql.Split(';'))
        {
            string text = WithoutLeadingComments(statement);
            if (text.Length == 0)
            {
                continue;
            }

            if (!text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || (text.Length > 6 && !char.IsWhiteSpace(text[6]) && text[6] != '('))
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    private static string WithoutLeadingComments(string statement)
    {
        string text = statement.TrimStart();
        while (true)
        {
            if (text.StartsWith("--", StringComparison.Ordinal))
            {
                int end = text.IndexOf('\n');
                text = end < 0 ? "" : text[(end + 1)..].TrimStart();
            }
            else if (text.StartsWith("/*", StringComparison.Ordinal))
            {
                int end = text.IndexOf("*/", StringComparison.Ordinal);
                text = end < 0 ? "" : text[(end + 2)..].TrimStart();
            }
            else
            {
                return text;
            }
        }
    }

    private sealed class ReadOnlyCommandInterceptor : DbCommandInterceptor
    {
        private static void Check(CommandEventData eventData, DbCommand command, bool reads)
        {
            if (eventData.Context is PortalDbContext { Tenant: { ViewAs: { } viewer } scope } && !(reads && IsSelectOnly(command.CommandText)))
            {
                throw Refusal(scope, viewer);
            }
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Check(eventData, command, reads: false);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Check(eventData, command, reads: false);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Check(eventData, command, reads: true);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Check(eventData, command, reads: true);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        {
            Check(eventData, command, reads: true);
            return result;
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Check(eventData, command, reads: true);
            return ValueTask.FromResult(result);
        }
    }
}
