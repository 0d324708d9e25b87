using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Auth;

/// <summary>
/// Email-first sign-in: which of the sign-in page's providers an email address should use. The email's domain must be
/// a verified domain of an active customer; the answer is that customer's enabled providers that are offered at
/// sign-in, or, when it has none, the platform's. Anything else (invalid email, unknown or unverified domain) is
/// "not found", and the sign-in page says no more than that.
/// </summary>
public sealed class HomeRealmDiscovery(IServiceScopeFactory scopes, SignInProviders providers)
{
    public async Task<IReadOnlyList<SignInProvider>> FindAsync(string? email, CancellationToken cancellationToken = default)
    {
        if (!DomainNames.TryDomainOfEmail(email, out string domain))
        {
            return [];
        }

        await using var scope = scopes.CreateAsyncScope();
        // Anonymous: nobody's tenant yet. A read of one domain and the providers table, never a write.
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("home-realm-discovery"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        long? customerId = await db.CustomerDomains.AsNoTracking()
            .Where(d => d.Domain == domain && d.VerifiedAt != null && d.Customer!.IsActive)
            .Select(d => (long?)d.CustomerId)
            .FirstOrDefaultAsync(cancellationToken);
        if (customerId is null)
        {
            return [];
        }

        var rows = await db.CiamSystems.AsNoTracking().Select(c => new { c.Id, c.CustomerId, c.Authority, c.IsEnabled }).ToListAsync(cancellationToken);
        var offered = new List<(SignInProvider Provider, long? Owner)>();
        foreach (var provider in providers.All)
        {
            // Added in the portal: its row by id. Configured at start-up: its row by authority (none: platform-wide).
            var row = provider.CiamSystemId is long id
                ? rows.FirstOrDefault(r => r.Id == id)
                : rows.FirstOrDefault(r => string.Equals(r.Authority.TrimEnd('/'), provider.CiamAuthority.TrimEnd('/'), StringComparison.Ordinal));
            if (row is { IsEnabled: false } || (row is null && provider.CiamSystemId is not null))
            {
                continue;
            }

            offered.Add((provider, row?.CustomerId));
        }

        var own = offered.Where(p => p.Owner == customerId).Select(p => p.Provider).ToList();
        return own.Count > 0 ? own : [.. offered.Where(p => p.Owner is null).Select(p => p.Provider)];
    }
}
