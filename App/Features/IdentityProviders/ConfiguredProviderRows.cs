using System.Data;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.IdentityProviders;

/// <summary>What start-up did with one configured provider's <c>ciam_systems</c> row.</summary>
public enum ConfiguredRowOutcome
{
    Created,
    Matched,
    /// <summary>The row existed but was disabled: configuration says it signs people in, so it is enabled again.</summary>
    Enabled,
    /// <summary>Two or more rows claim its authority; none is touched and sign-in through it is refused until one goes.</summary>
    Ambiguous,
}

/// <summary>
/// One source of truth for providers from configuration: at start-up (after migrations; hosted services start once
/// <c>PrepareAtStartupAsync</c> has run) each valid configured provider gets its <c>ciam_systems</c> row, created
/// platform-wide and enabled, or matched by authority. A newcomer needs no SQL. Such rows are read-only in the portal
/// ("from configuration", derived at run time from <see cref="ConfiguredProviders.ForAuthority"/>).
/// Also logs each configuration problem once, as an error.
/// </summary>
/// <remarks>Two instances starting at once: the check and the insert commit in one serializable transaction
/// (PostgreSQL aborts one with 40001 and the execution strategy retries it, which then matches the row; SQLite's
/// serializable transaction takes the write lock up front), so neither creates a second row.</remarks>
public sealed class ConfiguredProviderRows(IServiceScopeFactory scopes, ConfiguredProviders configured, ILogger<ConfiguredProviderRows> logger) : IHostedService
{
    public const string CreateAction = "create_from_configuration";
    public const string EnableAction = "enable_from_configuration";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in configured.Problems)
        {
            // One line per provider, naming the setting and the reason; never a value that could be a secret.
            logger.LogError("Identity provider {Section} is not offered at sign-in: {Reason}", problem.Section, problem.Reason);
        }

        try
        {
            await EnsureRowsAsync(cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The portal still starts: sign-in through these providers is refused ("unknown provider") until a restart succeeds.
            logger.LogError(exception, "Could not create or match the ciam_systems rows of the configured identity providers.");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<IReadOnlyDictionary<string, ConfiguredRowOutcome>> EnsureRowsAsync(CancellationToken cancellationToken = default)
    {
        var outcomes = new Dictionary<string, ConfiguredRowOutcome>();
        foreach (var provider in configured.Valid)
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("configuration"));
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
            var outcome = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                // A retried attempt starts from the database, not from the failed one.
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
                var result = await EnsureRowAsync(db, provider, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return result;
            });
            outcomes[provider.Section] = outcome;
            if (outcome == ConfiguredRowOutcome.Ambiguous)
            {
                logger.LogError("Identity provider {Section}: several ciam_systems rows have authority {Authority}; sign-in through it is refused until only one is left.", provider.Section, provider.CiamAuthority);
            }
            else if (outcome != ConfiguredRowOutcome.Matched)
            {
                logger.LogInformation("Identity provider {Section}: its ciam_systems row was {Outcome}.", provider.Section, outcome.ToString().ToLowerInvariant());
            }
        }

        return outcomes;
    }

    private static async Task<ConfiguredRowOutcome> EnsureRowAsync(PortalDbContext db, ConfiguredProvider provider, CancellationToken cancellationToken)
    {
        string authority = provider.CiamAuthority;
        var rows = await db.CiamSystems.Where(c => c.Authority == authority || c.Authority == authority + "/").Take(2).ToListAsync(cancellationToken);
        if (rows.Count > 1)
        {
            return ConfiguredRowOutcome.Ambiguous;
        }

        if (rows.Count == 1)
        {
            if (rows[0].IsEnabled)
            {
                return ConfiguredRowOutcome.Matched;
            }

            rows[0].IsEnabled = true;
            db.SetAuditAction(rows[0], EnableAction);
            await db.SaveChangesAsync(cancellationToken);
            return ConfiguredRowOutcome.Enabled;
        }

        // Platform-wide names are unique; a portal-made provider may already have taken the display name.
        string name = provider.DisplayName;
        if (await db.CiamSystems.AnyAsync(c => c.CustomerId == null && c.Name == name, cancellationToken))
        {
            name = $"{provider.DisplayName} ({provider.Section})"[..Math.Min(CiamSystem.MaxNameLength, provider.DisplayName.Length + provider.Section.Length + 3)];
        }

        var row = new CiamSystem
        {
            Id = TimeOrderedId.Next(),
            CustomerId = null,
            Name = name,
            ProviderType = provider.ProviderType,
            Authority = authority,
            ClientId = provider.ClientId,
            Scopes = provider.Scopes,
            IsEnabled = true,
        };
        db.CiamSystems.Add(row);
        db.SetAuditAction(row, CreateAction);
        await db.SaveChangesAsync(cancellationToken);
        return ConfiguredRowOutcome.Created;
    }
}
