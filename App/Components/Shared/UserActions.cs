using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using MudBlazor;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// The one pattern for a button's action: run it, and when it throws, log the exception, tell the person in a short
/// sentence (never the exception's text: a database error can name tables, hosts or values) and keep the page usable.
/// Validation results (<c>ChangeResult</c>) are the page's to show; this is only for what nobody planned for.
/// </summary>
public sealed class UserActions(ISnackbar snackbar, ILogger<UserActions> logger)
{
    /// <summary>Runs an action that returns a result; null when it failed (already logged and shown).</summary>
    public async Task<T?> RunAsync<T>(Func<Task<T>> action, string what = "The action") where T : class?
    {
        try
        {
            return await action();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || exception is TaskCanceledException { InnerException: TimeoutException })
        {
            Report(exception, what);
            return null;
        }
    }

    /// <summary>Runs an action; on success shows <paramref name="success"/> (if any). Returns whether it succeeded.</summary>
    public async Task<bool> RunAsync(Func<Task> action, string? success = null, string what = "The action")
    {
        try
        {
            await action();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || exception is TaskCanceledException { InnerException: TimeoutException })
        {
            Report(exception, what);
            return false;
        }

        if (success is not null)
        {
            snackbar.Add(success, Severity.Success);
        }

        return true;
    }

    private void Report(Exception exception, string what)
    {
        logger.LogError(exception, "{What} failed.", what);
        snackbar.Add($"{what} failed: {Reason(exception)}", Severity.Error);
    }

    /// <summary>Whether the exception says the database could not be reached or did not answer in time.</summary>
    public static bool IsDatabaseUnavailable(Exception exception) => exception switch
    {
        // Npgsql marks connection failures, timeouts and server shutdowns transient; SQLite its busy/locked errors.
        // A constraint violation is a DbException too, but not transient: that is not an outage.
        DbException db => db.IsTransient || db.InnerException is { } inner && IsDatabaseUnavailable(inner),
        TimeoutException or RetryLimitExceededException or System.Net.Sockets.SocketException => true,
        // The execution strategy and EF wrap the database's exception (InvalidOperationException, DbUpdateException).
        _ => exception.InnerException is { } wrapped && IsDatabaseUnavailable(wrapped),
    };

    /// <summary>A short human reason, without the exception's text.</summary>
    public static string Reason(Exception exception) => exception is AdminPortal.App.Features.ViewAs.ReadOnlyViewException || exception.GetBaseException() is AdminPortal.App.Features.ViewAs.ReadOnlyViewException
        ? "you are viewing the portal as someone else, which is read-only, so nothing was changed."
        : IsDatabaseUnavailable(exception)
        ? "the database is unavailable, so nothing was changed. Try again in a moment."
        : "something went wrong, and it has been logged. Nothing on this page was lost; try again.";
}
