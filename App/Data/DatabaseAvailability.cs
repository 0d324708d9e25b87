using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace AdminPortal.App.Data;

/// <summary>
/// Whether the database answers, for the whole process: the layout's banner shows "Database unavailable — retrying…"
/// from it, and queries stop retrying a lost connection once an outage has lasted longer than
/// <see cref="DatabaseOptions.RetryDuringOutage"/>. A failing query (seen by <see cref="DatabaseFailureInterceptor"/>)
/// wakes the probe at once; the probe (<see cref="DatabaseAvailabilityProbe"/>) decides, with a short timeout and
/// outside EF's retry strategy, and keeps probing every second until the database is back.
/// </summary>
public sealed class DatabaseAvailability(DatabaseOptions options, TimeProvider clock)
{
    private readonly SemaphoreSlim wake = new(0, 1);
    private volatile bool available = true;
    private DateTimeOffset? unavailableSince;

    public bool IsAvailable => available;

    /// <summary>When the current outage was noticed; null while the database answers.</summary>
    public DateTimeOffset? UnavailableSince => unavailableSince;

    /// <summary>Raised (on a pool thread) when the state changes; the argument is the new <see cref="IsAvailable"/>.</summary>
    public event Action<bool>? Changed;

    public DatabaseOptions Options => options;

    /// <summary>One instance for every context, so that EF's internal service provider is built once.</summary>
    public DatabaseFailureInterceptor FailureInterceptor => failureInterceptor ??= new DatabaseFailureInterceptor(this);

    private DatabaseFailureInterceptor? failureInterceptor;

    /// <summary>A query failed: if it looks like a lost database (not a constraint or a bug), probe now.</summary>
    public void ReportFailure(Exception exception)
    {
        if (IsConnectionFailure(exception) && wake.CurrentCount == 0)
        {
            try
            {
                wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another failure woke the probe first.
            }
        }
    }

    /// <summary>True when an outage has lasted long enough that waiting on more retries only keeps a spinner up.</summary>
    public bool OutageOutlasted(TimeSpan budget) => unavailableSince is { } since && clock.GetUtcNow() - since >= budget;

    internal async Task WaitForWakeAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            await wake.WaitAsync(interval, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal void Set(bool isAvailable)
    {
        if (isAvailable == available)
        {
            return;
        }

        unavailableSince = isAvailable ? null : clock.GetUtcNow();
        available = isAvailable;
        if (options.Provider == DatabaseProvider.Postgres)
        {
            // Idle pooled connections died with the server: drop them, so that the first queries after it is back
            // do not each meet a dead connection.
            using var connection = new NpgsqlConnection(options.ConnectionString);
            NpgsqlConnection.ClearPool(connection);
        }

        Changed?.Invoke(isAvailable);
    }

    /// <summary>
    /// One bounded round trip (open + <c>SELECT 1</c>) on a connection of its own, without EF and its retry strategy;
    /// null when it answered, else what went wrong. Shared by the probe and the readiness health check.
    /// </summary>
    public async Task<Exception?> ProbeAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.AvailabilityProbeTimeout);
        try
        {
            await using DbConnection connection = options.Provider == DatabaseProvider.Postgres
                ? new NpgsqlConnection(ProbeConnectionString(options))
                : new SqliteConnection(options.ConnectionString);
            await connection.OpenAsync(timeout.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new TimeoutException($"The database did not answer within {options.AvailabilityProbeTimeout.TotalSeconds:0.#} s.");
        }
        catch (Exception exception) when (exception is DbException or SocketException or TimeoutException or InvalidOperationException)
        {
            return exception;
        }
    }

    /// <summary>
    /// The probe's own pool (one connection at most), with connect and command timeouts that fit its budget, so that
    /// an unreachable host fails in seconds, not Npgsql's default 15 s.
    /// </summary>
    private static string ProbeConnectionString(DatabaseOptions options)
    {
        int seconds = Math.Max(1, (int)Math.Ceiling(options.AvailabilityProbeTimeout.TotalSeconds));
        return new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            Timeout = seconds,
            CommandTimeout = seconds,
            MaxPoolSize = 1,
            ApplicationName = "adminportal-probe",
        }.ConnectionString;
    }

    /// <summary>A lost or unreachable server, as opposed to an error the database answered with.</summary>
    public static bool IsConnectionFailure(Exception? exception) => exception switch
    {
        null => false,
        OperationCanceledException => false,
        _ when exception.InnerException is OperationCanceledException => false,
        // 08: connection exception; 57P01-57P03: the server is shutting down, crashed, or cannot accept connections yet.
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException => true,
        SocketException or TimeoutException => true,
        _ => IsConnectionFailure(exception.InnerException),
    };
}

/// <summary>Probes every <see cref="DatabaseOptions.AvailabilityProbeInterval"/> while healthy, every second while not.</summary>
public sealed class DatabaseAvailabilityProbe(DatabaseAvailability availability, ILogger<DatabaseAvailabilityProbe> logger) : BackgroundService
{
    public static readonly TimeSpan OutageProbeInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var failure = await availability.ProbeAsync(stoppingToken);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if ((failure is null) != availability.IsAvailable)
            {
                if (failure is null)
                {
                    logger.LogWarning("The database answers again (unavailable since {Since:O}).", availability.UnavailableSince);
                }
                else
                {
                    logger.LogError("The database is unavailable: {Reason}", failure.Message);
                }

                availability.Set(failure is null);
            }

            await availability.WaitForWakeAsync(availability.IsAvailable ? availability.Options.AvailabilityProbeInterval : OutageProbeInterval, stoppingToken);
        }
    }
}

/// <summary>Tells <see cref="DatabaseAvailability"/> about failed connections and commands, as they happen.</summary>
public sealed class DatabaseFailureInterceptor(DatabaseAvailability availability) : DbConnectionInterceptor, IDbCommandInterceptor
{
    public override void ConnectionFailed(DbConnection connection, ConnectionErrorEventData eventData) => availability.ReportFailure(eventData.Exception);

    public override Task ConnectionFailedAsync(DbConnection connection, ConnectionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        availability.ReportFailure(eventData.Exception);
        return Task.CompletedTask;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => availability.ReportFailure(eventData.Exception);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        availability.ReportFailure(eventData.Exception);
        return Task.CompletedTask;
    }
}

/// <summary>
/// EF's Npgsql retry strategy (which CockroachDB's 40001 needs), except that a lost connection is no longer retried
/// once the outage has lasted <see cref="DatabaseOptions.RetryDuringOutage"/>: a page then fails at once into its
/// error state, under the banner, instead of spinning through a minute of retries. A short blip is still ridden out.
/// </summary>
public sealed class PortalRetryingExecutionStrategy(ExecutionStrategyDependencies dependencies, DatabaseAvailability availability)
    : NpgsqlRetryingExecutionStrategy(dependencies, availability.Options.MaxRetryCount, availability.Options.MaxRetryDelay, null)
{
    protected override bool ShouldRetryOn(Exception exception)
    {
        if (DatabaseAvailability.IsConnectionFailure(exception) && availability.OutageOutlasted(availability.Options.RetryDuringOutage))
        {
            return false;
        }

        return base.ShouldRetryOn(exception);
    }
}
