using Microsoft.Extensions.Options;

namespace AdminPortal.App.CommandLine;

/// <summary>
/// The portal refuses to start for a reason its message explains to the operator: a bad setting (what is wrong and
/// what is allowed), a database that needs migrating, a development-only switch in production. Start-up code throws
/// it instead of a bare <see cref="InvalidOperationException"/> so that <see cref="StartupFailure"/> prints the message
/// alone: a stack trace under it only hides the line that matters.
/// </summary>
public sealed class StartupRefusedException(string message, Exception? inner = null, int exitCode = StartupFailure.ExitRefused) : InvalidOperationException(message, inner)
{
    /// <summary>The process's exit code: <see cref="StartupFailure.ExitRefused"/>, or the command line's code for the same cause.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Ends the process with one line and an exit code when serving fails on a known cause: <see cref="StartupRefusedException"/>,
/// <see cref="OptionsValidationException"/>, or a database that is missing or unreachable. Anything else is a bug and
/// keeps its stack trace.
/// </summary>
/// <remarks>
/// It hooks the unhandled-exception event, so Program.cs stays a straight line: the event is raised before the runtime
/// prints the exception, and exiting there prints nothing more. Usually the host is not running at that point (the
/// failure stopped the start-up); a known failure after start-up (Program.cs calls <see cref="MarkStarted"/>) is
/// reported as "stopped", since the process had served. WebApplicationFactory hosts in tests never reach the event.
/// </remarks>
public static class StartupFailure
{
    /// <summary>A setting, or the environment, stops the start-up (<see cref="StartupRefusedException"/>).</summary>
    public const int ExitRefused = 6;

    private static int installed;
    private static volatile bool started;

    /// <summary>Called once the host serves: a known failure after that is reported as a stop, not as a start-up refusal.</summary>
    public static void MarkStarted() => started = true;

    public static void PrintWithoutStackTrace()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.UnhandledException += (_, unhandled) =>
        {
            if (unhandled.ExceptionObject is Exception exception && Describe(exception) is var (message, exitCode))
            {
                Console.Error.WriteLine(Line(message, started));
                Console.Error.Flush();
                Environment.Exit(exitCode);
            }
        };
    }

    /// <summary>What the operator reads: whether the portal never started, or stopped after serving.</summary>
    public static string Line(string message, bool afterStart) => afterStart ? $"The portal stopped: {message}" : $"The portal did not start: {message}";

    /// <summary>The operator's line and the exit code, or null for an exception that is a bug.</summary>
    public static (string Message, int ExitCode)? Describe(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case StartupRefusedException refused:
                    return (refused.Message.ReplaceLineEndings(" "), refused.ExitCode);
                case OptionsValidationException invalid:
                    return (invalid.Message.ReplaceLineEndings(" "), ExitRefused);
            }
        }

        // Only what the command line's database verbs also describe: missing (5) or could not be reached (1).
        return DatabaseCommandFailure.Describe(exception) is { } database
            ? (database.Message, database.DatabaseMissing ? PortalCommandLine.ExitDatabaseMissing : PortalCommandLine.ExitFailed)
            : null;
    }
}
