using System.Data.Common;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Grid;

/// <summary>Counts (and keeps) every SQL command the contexts it hands out run.</summary>
public sealed class CommandCounter : DbCommandInterceptor
{
    private readonly List<(string Sql, List<(string Name, object? Value)> Parameters)> commands = [];

    public IReadOnlyList<(string Sql, List<(string Name, object? Value)> Parameters)> Commands
    {
        get { lock (commands) { return commands.ToList(); } }
    }

    public void Reset()
    {
        lock (commands) { commands.Clear(); }
    }

    private void Record(DbCommand command)
    {
        lock (commands)
        {
            commands.Add((command.CommandText, command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value)).ToList()));
        }
    }

    /// <summary>Awaited before every query a context runs asynchronously: a test holds a call in flight, or fails it.</summary>
    public Func<Task>? BeforeQuery { get; set; }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        if (BeforeQuery is { } before)
        {
            await before();
        }

        return await base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Record(command);
        return base.ReaderExecuting(command, eventData, result);
    }

    /// <summary>
    /// A factory like the portal's (same provider, model, query filters and tenant), whose contexts also carry this
    /// interceptor: the real options, extended.
    /// </summary>
    public IDbContextFactory<PortalDbContext> Wrap(IServiceProvider scope) => new CountingFactory(scope, this);

    private sealed class CountingFactory(IServiceProvider scope, CommandCounter counter) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext()
        {
            using var real = scope.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();
            var options = real.GetService<IDbContextOptions>();
            var type = real.GetType();
            var builder = (DbContextOptionsBuilder)Activator.CreateInstance(typeof(DbContextOptionsBuilder<>).MakeGenericType(type), options)!;
            builder.AddInterceptors(counter);
            var db = (PortalDbContext)ActivatorUtilities.CreateInstance(scope, type, builder.Options);
            db.UseTenant(scope.GetRequiredService<AdminPortal.App.Tenancy.TenantContext>());
            return db;
        }
    }
}
