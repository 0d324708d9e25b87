using Npgsql;

namespace AdminPortal.App.Data;

/// <summary>
/// The change feed across instances on PostgreSQL: NOTIFY on publish, and one dedicated long-lived connection per
/// instance that LISTENs (not an EF context, not the pool: a pooled connection would lose its LISTEN when returned).
/// </summary>
/// <remarks>
/// <para>When the database goes away the listener logs, retries with a growing delay
/// (<c>ChangeFeed:ReconnectDelay</c> doubling up to <c>ChangeFeed:MaxReconnectDelay</c>), and on reconnecting
/// delivers a <see cref="ChangeTopic.Resync"/> here, because notifications sent meanwhile are lost for good. The
/// portal keeps serving throughout; only live updates pause.</para>
/// <para>CockroachDB has no LISTEN/NOTIFY: there the listener fails to start, logs it, and the receivers' fallbacks
/// (the provider poll, the counts' age limit, a page's next load) carry changes between instances.</para>
/// </remarks>
public sealed class PostgresChangeFeed : ChangeFeed, IHostedService, IAsyncDisposable
{
    public const string Channel = "adminportal_changes";

    private readonly string connectionString;
    private readonly string listenerConnectionString;
    private readonly TimeSpan firstDelay;
    private readonly TimeSpan maxDelay;
    private readonly ILogger<PostgresChangeFeed> logger;
    private readonly CancellationTokenSource stopping = new();
    private TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? loop;

    public PostgresChangeFeed(DatabaseOptions options, IConfiguration? configuration = null, ILogger<PostgresChangeFeed>? logger = null)
        : base(logger ??= Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresChangeFeed>.Instance)
    {
        this.logger = logger;
        configuration ??= new ConfigurationBuilder().Build();
        connectionString = options.ConnectionString!;
        // Its own physical connection; keepalives notice a peer that vanished without closing the socket.
        listenerConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            KeepAlive = 15,
            ApplicationName = "adminportal-change-listener",
        }.ConnectionString;
        firstDelay = configuration.GetValue("ChangeFeed:ReconnectDelay", TimeSpan.FromSeconds(1));
        maxDelay = configuration.GetValue("ChangeFeed:MaxReconnectDelay", TimeSpan.FromSeconds(30));
    }

    /// <summary>Whether the listener is connected now.</summary>
    public bool IsListening { get; private set; }

    /// <summary>How many times the listener reconnected after losing the database (each raised a resync).</summary>
    public int Reconnects { get; private set; }

    /// <summary>Completes once the listener is connected (again); for tests and start-up.</summary>
    public Task WaitUntilListeningAsync(CancellationToken cancellationToken = default) => Volatile.Read(ref listening).Task.WaitAsync(cancellationToken);

    public override async Task PublishAsync(Change change, CancellationToken cancellationToken = default)
    {
        Deliver(change);
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            foreach (string payload in ChangeCodec.Encode(InstanceId, change))
            {
                await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
                notify.Parameters.AddWithValue("channel", Channel);
                notify.Parameters.AddWithValue("payload", payload);
                await notify.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // The change is committed and delivered here; the other instances resync when their listener reconnects.
            logger.LogWarning("Could not notify the other instances of a {Topic} change: {Problem}", change.Topic, exception.Message);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop = Task.Run(() => ListenAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (disposed)
        {
            return;
        }

        await stopping.CancelAsync();
        if (loop is not null)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        var delay = firstDelay;
        bool missed = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(listenerConnectionString);
                await connection.OpenAsync(cancellationToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                IsListening = true;
                delay = firstDelay;
                if (missed)
                {
                    Reconnects++;
                    logger.LogInformation("The change listener is connected again; open pages reload, because notifications sent meanwhile were missed.");
                    Deliver(Change.Resync());
                }

                missed = false;
                Volatile.Read(ref listening).TrySetResult();
                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                if (IsListening || !missed)
                {
                    logger.LogWarning("The change listener lost the database ({Problem}); retrying in {Delay}. Live updates from other instances pause meanwhile.", exception.Message, delay);
                }

                if (IsListening)
                {
                    Interlocked.Exchange(ref listening, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }

                IsListening = false;
                missed = true;
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            }
        }

        IsListening = false;
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs notification)
    {
        if (ChangeCodec.Decode(notification.Payload) is not var (origin, change))
        {
            logger.LogWarning("Ignored a malformed change notification ({Length} characters).", notification.Payload.Length);
            return;
        }

        // Our own changes were delivered here when published.
        if (origin != InstanceId)
        {
            Deliver(change);
        }
    }

    // Registered as itself and as IChangeFeed: the container disposes it twice.
    private bool disposed;

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        disposed = true;
        stopping.Dispose();
    }
}
