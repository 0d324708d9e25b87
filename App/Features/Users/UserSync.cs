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

/// <summary>Processes pending users in batches: each gets synced or failed with the error, audited, and the circuits are told.</summary>
public sealed class UserSyncWorker(IServiceScopeFactory scopes, ISyncTarget target, UserSyncNotifier notifier, IConfiguration configuration, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<UserSyncWorker> logger, Observability.PortalMetrics? metrics = null) : BackgroundService
{
    public const int BatchSize = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("Sync:Interval", TimeSpan.FromSeconds(5));
        // The development provider's address is known once the server listens.
        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "The user sync batch failed; it runs again in {Interval}.", interval);
            }

            await Task.Delay(interval, stoppingToken);
        }
    }

    /// <returns>How many users it processed.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("user-sync"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        // A pending invitation has no provider link to verify yet: it is synced after its first sign-in.
        var users = await db.Users.Where(u => u.SyncStatus == SyncStatus.Pending && (u.InvitedAt == null || u.InvitationAcceptedAt != null)).OrderBy(u => u.UpdatedAt).ThenBy(u => u.Id).Take(BatchSize).ToListAsync(cancellationToken);
        if (users.Count == 0)
        {
            return 0;
        }

        var ids = users.Select(u => u.Id).ToList();
        var providers = (await db.UserCiamMappings.AsNoTracking().Where(m => ids.Contains(m.UserId))
                .Select(m => new { m.UserId, m.CiamSystem!.Name, m.CiamSystem.Authority, m.CiamSystem.IsEnabled }).ToListAsync(cancellationToken))
            .Where(m => m.IsEnabled)
            .ToLookup(m => m.UserId, m => (m.Name, m.Authority));
        foreach (var user in users)
        {
            var result = await target.SyncAsync(user, providers[user.Id].ToList(), cancellationToken);
            user.SyncStatus = result.Succeeded ? SyncStatus.Synced : SyncStatus.Failed;
            user.LastSyncedAt = clock.GetUtcNow().UtcDateTime;
            user.LastSyncError = result.Error;
            db.SetAuditAction(user, "sync");
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone changed one of these users meanwhile: the batch is dropped whole and retried next round.
            logger.LogInformation("A user changed during sync; the batch runs again.");
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
