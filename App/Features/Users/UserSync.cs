using System.Net;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Users;

/// <summary>Tells open circuits that users changed (sync results, support actions), so grids and details refresh live.</summary>
/// <remarks>
/// A facade over the <see cref="IChangeFeed"/>: <see cref="Changed"/> publishes to every instance (call it after the
/// commit), and <see cref="UsersChanged"/> fires for changes from any instance. The ids are all a circuit learns:
/// it re-reads through its tenant-filtered services, so an id of another tenant's user changes nothing it shows.
/// When the ids are unknown (a very large change, or notifications missed while the database was away) the
/// collection is <see cref="Everyone"/>: test with <see cref="Touches"/>.
/// </remarks>
public sealed class UserSyncNotifier
{
    /// <summary>Stands for "any user may have changed": every open view reloads.</summary>
    public static readonly IReadOnlyCollection<long> Everyone = new List<long>().AsReadOnly();

    private readonly IChangeFeed feed;

    /// <summary>On a feed of its own: one process, nothing else hears (services built by hand in tests).</summary>
    public UserSyncNotifier() : this(new InProcessChangeFeed())
    {
    }

    public UserSyncNotifier(IChangeFeed feed)
    {
        this.feed = feed;
        // The feed lives as long as this singleton: the subscription is never undone.
        feed.Subscribe(change =>
        {
            if (change.Topic == ChangeTopic.Resync || (change.Topic == ChangeTopic.Users && change.Many))
            {
                UsersChanged?.Invoke(Everyone);
            }
            else if (change.Topic == ChangeTopic.Users)
            {
                UsersChanged?.Invoke(change.Ids);
            }
        });
    }

    public event Action<IReadOnlyCollection<long>>? UsersChanged;

    public void Changed(IReadOnlyCollection<long> userIds) => Changed(userIds, UserChangeKind.Changed);

    public void Changed(IReadOnlyCollection<long> userIds, UserChangeKind kind)
    {
        if (userIds.Count > 0)
        {
            // Delivered here synchronously; the NOTIFY to other instances finishes in the background and never throws.
            _ = feed.PublishAsync(Change.UsersChanged(userIds, kind));
        }
    }

    /// <summary>Whether a <see cref="UsersChanged"/> notice may concern <paramref name="userId"/>.</summary>
    public static bool Touches(IReadOnlyCollection<long> ids, long userId) => ReferenceEquals(ids, Everyone) || ids.Contains(userId);

    /// <summary>Whether a <see cref="UsersChanged"/> notice may concern any of <paramref name="userIds"/>.</summary>
    public static bool TouchesAny(IReadOnlyCollection<long> ids, IEnumerable<long> userIds) => ReferenceEquals(ids, Everyone) || userIds.Any(ids.Contains);
}

public sealed record SyncResult(bool Succeeded, string? Error);

/// <summary>Where a user is synchronised to. The generic one checks the linked providers; a SCIM or Graph target fits the same shape.</summary>
public interface ISyncTarget
{
    Task<SyncResult> SyncAsync(User user, IReadOnlyList<(string Name, string Authority)> providers, CancellationToken cancellationToken);
}

/// <summary>
/// The generic target: every provider the user is linked to must still answer its OpenID discovery document with
/// its issuer. In Development only loopback providers are contacted (Sync:LoopbackOnly), so a developer's machine
/// never calls out to a tenant's real identity provider.
/// </summary>
/// <remarks>
/// The authorities are typed by customer admins, and the stored error is shown to them: requests go through
/// <see cref="IdentityProviders.ProviderNetworkPolicy"/> (no redirects, no inner addresses outside Development), and
/// only a category of error is stored (<see cref="SyncErrors"/>); the details go to the log.
/// </remarks>
public sealed class DiscoveryDocumentSyncTarget(IHttpClientFactory clients, IServer server, IConfiguration configuration, IHostEnvironment environment, ILogger<DiscoveryDocumentSyncTarget> logger) : ISyncTarget
{
    private static bool FindInner<T>(Exception exception) where T : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is T)
            {
                return true;
            }
        }

        return false;
    }

    public async Task<SyncResult> SyncAsync(User user, IReadOnlyList<(string Name, string Authority)> providers, CancellationToken cancellationToken)
    {
        if (providers.Count == 0)
        {
            return new SyncResult(false, "No enabled identity provider is linked to this user, so there is nothing to verify.");
        }

        bool loopbackOnly = configuration.GetValue("Sync:LoopbackOnly", environment.IsDevelopment());
        var client = clients.CreateClient(nameof(DiscoveryDocumentSyncTarget));
        int checkedProviders = 0;
        foreach (var (name, authority) in providers)
        {
            string address = authority == DevIdentityProvider.Authority
                ? DevIdentityProvider.MetadataAddress(server)
                : authority.TrimEnd('/') + "/.well-known/openid-configuration";
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                return new SyncResult(false, $"{name}: the authority '{authority}' is not a URL.");
            }

            if (loopbackOnly && !(uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip))))
            {
                continue; // not contacted from this environment; the providers it may contact decide
            }

            checkedProviders++;
            try
            {
                using var response = await client.GetAsync(uri, cancellationToken);
                if ((int)response.StatusCode is >= 300 and < 400)
                {
                    logger.LogWarning("Sync of user {UserId}: {Address} answered HTTP {Status} to {Location}; redirects are not followed.", user.Id, uri, (int)response.StatusCode, response.Headers.Location);
                    return new SyncResult(false, SyncErrors.Redirected(name));
                }

                if (!response.IsSuccessStatusCode)
                {
                    logger.LogWarning("Sync of user {UserId}: {Address} answered HTTP {Status} {Reason}.", user.Id, uri, (int)response.StatusCode, response.ReasonPhrase);
                    return new SyncResult(false, SyncErrors.ErrorAnswer(name));
                }

                using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                if (!document.RootElement.TryGetProperty("issuer", out var issuer) || issuer.ValueKind != System.Text.Json.JsonValueKind.String)
                {
                    return new SyncResult(false, SyncErrors.InvalidDocument(name));
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or IOException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Sync of user {UserId}: {Address} could not be read: {Problem}", user.Id, uri, exception.ToString());
                return new SyncResult(false, exception switch
                {
                    _ when FindInner<IdentityProviders.NetworkPolicyRefusedException>(exception) => SyncErrors.RefusedByPolicy(name),
                    TaskCanceledException => SyncErrors.NoAnswer(name),
                    System.Text.Json.JsonException => SyncErrors.InvalidDocument(name),
                    _ => SyncErrors.Unreachable(name),
                });
            }
        }

        if (checkedProviders == 0)
        {
            return new SyncResult(false, "None of the linked providers may be contacted from this environment (Sync:LoopbackOnly is on), so nothing was verified.");
        }

        return new SyncResult(true, null);
    }
}

/// <summary>What the sync stores where customer admins read it: a category, never an address, a message or a status.</summary>
public static class SyncErrors
{
    public static string Unreachable(string provider) => $"{provider}: the provider could not be reached.";
    public static string RefusedByPolicy(string provider) => $"{provider}: the provider's address is refused by the portal's outbound network policy.";
    public static string Redirected(string provider) => $"{provider}: the provider answered with a redirect, which the portal does not follow.";
    public static string ErrorAnswer(string provider) => $"{provider}: the provider answered with an error.";
    public static string NoAnswer(string provider) => $"{provider}: the provider did not answer in time.";
    public static string InvalidDocument(string provider) => $"{provider}: the provider's discovery document is not valid.";
}

/// <summary>
/// How fast the sync queue drains: <c>Sync:BatchSize</c> users claimed per round, <c>Sync:Parallelism</c> provider
/// checks at once within a round, <c>Sync:Interval</c> between rounds when the queue is empty (a full round is followed
/// at once by the next), and <c>Sync:Lease</c>, how long a claim holds before another instance takes the users again.
/// </summary>
public sealed record UserSyncSettings(int BatchSize, TimeSpan Interval, int Parallelism, TimeSpan Lease)
{
    public const int DefaultBatchSize = 100;
    public const int MaxBatchSize = 1000;
    public const int DefaultParallelism = 8;
    public const int MaxParallelism = 64;
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(5);

    /// <summary>Reads and checks the <c>Sync</c> section; a bad value stops the start-up with what is wrong and what is allowed.</summary>
    public static UserSyncSettings From(IConfiguration configuration)
    {
        var problems = new List<string>();
        int batchSize = Read(configuration, "Sync:BatchSize", DefaultBatchSize, int.TryParse, value => value is >= 1 and <= MaxBatchSize,
            $"a whole number from 1 to {MaxBatchSize}", problems);
        int parallelism = Read(configuration, "Sync:Parallelism", DefaultParallelism, int.TryParse, value => value is >= 1 and <= MaxParallelism,
            $"a whole number from 1 to {MaxParallelism}", problems);
        var interval = Read(configuration, "Sync:Interval", DefaultInterval, TryParseTime, value => value >= TimeSpan.FromMilliseconds(100) && value <= TimeSpan.FromHours(1),
            "a time from 00:00:00.1 to 01:00:00 (hh:mm:ss)", problems);
        var lease = Read(configuration, "Sync:Lease", DefaultLease, TryParseTime, value => value >= TimeSpan.FromSeconds(10) && value <= TimeSpan.FromDays(1),
            "a time from 00:00:10 to 1.00:00:00 (hh:mm:ss), longer than a round takes", problems);
        if (problems.Count > 0)
        {
            throw new CommandLine.StartupRefusedException("The user sync settings are not valid: " + string.Join(" ", problems));
        }

        return new UserSyncSettings(batchSize, interval, parallelism, lease);
    }

    private delegate bool TryParse<T>(string text, out T value);

    private static bool TryParseTime(string text, out TimeSpan value) =>
        TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out value);

    private static T Read<T>(IConfiguration configuration, string key, T fallback, TryParse<T> parse, Func<T, bool> allowed, string expected, List<string> problems)
    {
        string? text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (parse(text.Trim(), out var value) && allowed(value))
        {
            return value;
        }

        // The value is an operator's setting, not a secret; it is quoted so a stray character is visible.
        problems.Add($"{key} is \"{text}\"; it must be {expected}.");
        return fallback;
    }
}

/// <summary>
/// Processes pending users in rounds: it claims a batch (a lease in <c>users.sync_claimed_by/until</c>), checks the
/// providers a few users at a time, and writes each result with its audit entry, releasing the claim; the circuits
/// are told. Every instance runs one: claims never overlap, so instances share the queue instead of racing for it.
/// </summary>
/// <remarks>
/// The claim is one statement: on PostgreSQL (and CockroachDB) <c>FOR UPDATE SKIP LOCKED</c> picks rows nobody else is
/// claiming at that moment; on SQLite, which has one writer at a time, a conditional <c>UPDATE</c> is atomic on its own.
/// A crashed instance's users are taken again when their lease ends (<c>Sync:Lease</c>).
/// </remarks>
public sealed class UserSyncWorker(IServiceScopeFactory scopes, ISyncTarget target, UserSyncNotifier notifier, IConfiguration configuration, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<UserSyncWorker> logger, Observability.PortalMetrics? metrics = null) : BackgroundService
{
    public const int MaxClaimLength = 100;

    /// <summary>Read once: a bad value fails when the host builds the worker, i.e. at start-up.</summary>
    public UserSyncSettings Settings { get; } = UserSyncSettings.From(configuration);

    private readonly string instance = configuration["Observability:InstanceId"] is { Length: > 0 } configured ? configured : $"{Environment.MachineName}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The development provider's address is known once the server listens.
        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            int processed = 0;
            try
            {
                processed = await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "The user sync batch failed; it runs again in {Interval}.", Settings.Interval);
            }

            // A full round means more are waiting: the next one starts at once. Only an empty queue waits.
            if (processed < Settings.BatchSize)
            {
                await Task.Delay(Settings.Interval, clock, stoppingToken);
            }
        }
    }

    /// <summary>Claims up to <see cref="UserSyncSettings.BatchSize"/> pending users for this round; returns the claim's name.</summary>
    /// <remarks>Public so that a test can claim and then "crash" without writing a result.</remarks>
    public async Task<(string Claim, IReadOnlyList<long> UserIds)> ClaimAsync(PortalDbContext db, CancellationToken cancellationToken = default)
    {
        string claim = $"{(instance.Length > 60 ? instance[..60] : instance)}#{Guid.NewGuid():N}"; // which instance, and which round
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + Settings.Lease;
        if (db.Database.IsNpgsql())
        {
            // The literal 'pending' matches ix_users_sync_queue's filter; a parameter would not let the planner use it.
            // A pending invitation has no provider link to verify yet: it is synced after its first sign-in.
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE users SET sync_claimed_by = {claim}, sync_claimed_until = {until}
                WHERE id IN (
                    SELECT id FROM users
                    WHERE sync_status = 'pending' AND (sync_claimed_until IS NULL OR sync_claimed_until < {now})
                      AND (invited_at IS NULL OR invitation_accepted_at IS NOT NULL)
                    ORDER BY id
                    LIMIT {Settings.BatchSize}
                    FOR UPDATE SKIP LOCKED)
                """, cancellationToken);
        }
        else
        {
            // One UPDATE with its own subquery: SQLite runs one writer at a time, so the choice and the claim are atomic.
            var due = db.Users
                .Where(u => u.SyncStatus == SyncStatus.Pending && (u.SyncClaimedUntil == null || u.SyncClaimedUntil < now) && (u.InvitedAt == null || u.InvitationAcceptedAt != null))
                .OrderBy(u => u.Id).Take(Settings.BatchSize).Select(u => u.Id);
            await db.Users.Where(u => due.Contains(u.Id))
                .ExecuteUpdateAsync(set => set.SetProperty(u => u.SyncClaimedBy, claim).SetProperty(u => u.SyncClaimedUntil, until), cancellationToken);
        }

        var ids = await db.Users.Where(u => u.SyncClaimedBy == claim).OrderBy(u => u.Id).Select(u => u.Id).ToListAsync(cancellationToken);
        return (claim, ids);
    }

    /// <returns>How many users it processed.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("user-sync"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        var (claim, ids) = await ClaimAsync(db, cancellationToken);
        if (ids.Count == 0)
        {
            return 0;
        }

        var users = await db.Users.Where(u => u.SyncClaimedBy == claim).OrderBy(u => u.Id).ToListAsync(cancellationToken);
        var providers = (await db.UserCiamMappings.AsNoTracking().Where(m => ids.Contains(m.UserId))
                .Select(m => new { m.UserId, m.CiamSystem!.Name, m.CiamSystem.Authority, m.CiamSystem.IsEnabled }).ToListAsync(cancellationToken))
            .Where(m => m.IsEnabled)
            .ToLookup(m => m.UserId, m => (m.Name, m.Authority));
        // The provider checks run a few at a time; the context is touched only afterwards, on this one thread.
        var results = new SyncResult[users.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, users.Count), new ParallelOptions { MaxDegreeOfParallelism = Settings.Parallelism, CancellationToken = cancellationToken },
            async (index, token) => results[index] = await target.SyncAsync(users[index], providers[users[index].Id].ToList(), token));
        for (int index = 0; index < users.Count; index++)
        {
            var user = users[index];
            user.SyncStatus = results[index].Succeeded ? SyncStatus.Synced : SyncStatus.Failed;
            user.LastSyncedAt = clock.GetUtcNow().UtcDateTime;
            user.LastSyncError = results[index].Error;
            user.SyncClaimedBy = null; // the result is the release
            user.SyncClaimedUntil = null;
            db.SetAuditAction(user, "sync");
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone changed one of these users meanwhile: the round is dropped whole, its claim released, and the
            // users are taken again by the next round (of any instance).
            logger.LogInformation("A user changed during sync; the batch runs again.");
            db.ChangeTracker.Clear();
            await db.Users.Where(u => u.SyncClaimedBy == claim)
                .ExecuteUpdateAsync(set => set.SetProperty(u => u.SyncClaimedBy, (string?)null).SetProperty(u => u.SyncClaimedUntil, (DateTime?)null), CancellationToken.None);
            metrics?.Synced("retried", users.Count);
            return 0;
        }

        int synced = users.Count(u => u.SyncStatus == SyncStatus.Synced);
        metrics?.Synced("synced", synced);
        metrics?.Synced("failed", users.Count - synced);

        notifier.Changed(ids, UserChangeKind.Sync);
        return users.Count;
    }
}
