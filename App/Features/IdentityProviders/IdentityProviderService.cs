using System.Globalization;
using System.Text.RegularExpressions;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.IdentityProviders;

/// <param name="ConfigurationSection">Set for a provider from configuration (e.g. <c>Authentication:Oidc:keycloak</c>): read-only here.</param>
public sealed record ProviderRow(string Id, string Name, CiamProviderType Type, string Owner, string Authority, bool IsEnabled, CappedCount MappedUsers, ProviderStatus? Status, bool CanEdit, string? ConfigurationSection = null);

/// <summary>One provider as its detail page shows it. The client secret is never here: only when it was set.</summary>
public sealed record ProviderDetail(
    string Id, string? CustomerId, string Owner, string Name, CiamProviderType Type, string Authority, string ClientId, string Scopes, bool IsEnabled,
    DateTime? ClientSecretSetAt, CappedCount MappedUsers, ProviderStatus? Status, string CallbackPath, bool CanEdit, bool ConfiguredAtStartup, long Version,
    string? ConfigurationSection = null);

/// <summary>What the form sends. <see cref="NewSecret"/> empty keeps the stored secret; <see cref="ClearSecret"/> removes it.</summary>
public sealed record ProviderForm(
    string? Id, string? CustomerId, string Name, CiamProviderType Type, string Authority, string ClientId, string Scopes, bool IsEnabled,
    string? NewSecret = null, bool ClearSecret = false, long Version = 0)
{
    // A typed secret stays out of anything that prints the form (a log line, an exception message).
    public override string ToString() =>
        $"ProviderForm {{ Id = {Id}, CustomerId = {CustomerId}, Name = {Name}, Type = {Type}, Authority = {Authority}, ClientId = {ClientId}, "
        + $"Scopes = {Scopes}, IsEnabled = {IsEnabled}, NewSecret = {(NewSecret is null ? "(none)" : "(hidden)")}, ClearSecret = {ClearSecret}, Version = {Version} }}";
}

/// <summary>
/// Identity providers (<c>ciam_systems</c>): customer admins manage their customer's, platform admins every one and the
/// platform-wide ones. The client secret is encrypted with Data Protection (keys shared through the database), is
/// write-only, and is never logged or audited (the audit says only that it changed). Every change reaches the sign-in
/// page at once through <see cref="ProviderSchemes"/>.
/// </summary>
public sealed partial class IdentityProviderService(
    IDbContextFactory<PortalDbContext> factory,
    IDataProtectionProvider dataProtection,
    ProviderSchemes schemes,
    SignInProviders signInProviders,
    ProviderConnectionTester tester,
    ConfiguredProviders configuredProviders,
    IHostEnvironment environment,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectOptions> signInOptions,
    IChangeFeed changes)
{
    public const int MaxSecretLength = CiamSystem.MaxSecretLength;

    private const string PlatformOnly = "Only a platform admin can change a platform-wide provider.";

    private const string ManagedInConfiguration = "This provider comes from the portal's configuration: change or remove it there, then restart.";

    // RFC 6749 scope tokens: printable ASCII except space, double quote and backslash.
    [GeneratedRegex(@"^[\x21\x23-\x5B\x5D-\x7E]+$")]
    private static partial Regex ScopeToken();

    public async Task<List<ProviderRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var providers = await db.CiamSystems.AsNoTracking().Include(c => c.Customer).OrderBy(c => c.Name).ThenBy(c => c.Id).ToListAsync(cancellationToken);
        var rows = new List<ProviderRow>();
        foreach (var p in providers)
        {
            rows.Add(new ProviderRow(Text(p.Id), p.Name, p.ProviderType, OwnerOf(p), p.Authority, p.IsEnabled, await MappedUsersAsync(db, p.Id, cancellationToken), schemes.StatusOf(p.Id), CanEdit(db, p) && FromConfiguration(p) is null, FromConfiguration(p)?.Section));
        }

        return rows;
    }

    public async Task<ProviderDetail?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var p = await db.CiamSystems.AsNoTracking().Include(c => c.Customer).FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        return p is null
            ? null
            : new ProviderDetail(
                Text(p.Id), p.CustomerId is long c ? Text(c) : null, OwnerOf(p), p.Name, p.ProviderType, p.Authority, p.ClientId, p.Scopes, p.IsEnabled,
                p.ClientSecretSetAt, await MappedUsersAsync(db, p.Id, cancellationToken), schemes.StatusOf(p.Id), ProviderSchemes.CallbackPathFor(p.Id),
                CanEdit(db, p) && FromConfiguration(p) is null, signInProviders.ConfiguredFor(p.Authority) is not null, p.Version, FromConfiguration(p)?.Section);
    }

    /// <summary>The owners a new provider can have: platform admins choose any customer or the platform; others get their own.</summary>
    public async Task<List<(string? Id, string Name)>> GetOwnerChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var customers = await db.Customers.AsNoTracking().OrderBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken);
        var choices = customers.Select(c => ((string?)Text(c.Id), c.Name)).ToList();
        if (db.Tenant.AllCustomers)
        {
            choices.Insert(0, (null, "Platform (all customers)"));
        }

        return choices;
    }

    /// <summary>Creates or updates a provider; on success, returns its id.</summary>
    public async Task<(ChangeResult Result, string? Id)> SaveAsync(ProviderForm form, CancellationToken cancellationToken = default)
    {
        string name = form.Name.Trim();
        string authority = form.Authority.Trim();
        string clientId = form.ClientId.Trim();
        string scopes = string.Join(' ', form.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct());
        string? secret = string.IsNullOrWhiteSpace(form.NewSecret) ? null : form.NewSecret.Trim();

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        CiamSystem? existing = null;
        if (form.Id is not null)
        {
            existing = long.TryParse(form.Id, NumberStyles.None, CultureInfo.InvariantCulture, out long id)
                ? await db.CiamSystems.FirstOrDefaultAsync(c => c.Id == id, cancellationToken)
                : null;
            if (existing is null)
            {
                return (ChangeResult.Missing(), null);
            }

            if (!CanEdit(db, existing))
            {
                return (ChangeResult.Invalid("Action", PlatformOnly), null);
            }

            if (FromConfiguration(existing) is not null)
            {
                return (ChangeResult.Invalid("Action", ManagedInConfiguration), null);
            }
        }

        var errors = new Dictionary<string, string>();
        if (name.Length > CiamSystem.MaxNameLength)
        {
            errors["Name"] = TextLimits.Message("A name", CiamSystem.MaxNameLength, name.Length);
        }
        else if (name.Length == 0)
        {
            errors["Name"] = $"Enter a name of at most {CiamSystem.MaxNameLength} characters.";
        }

        // Lengths first: an oversized value is refused before any parsing or lookup spends time on it.
        if (authority.Length > CiamSystem.MaxAuthorityLength)
        {
            errors["Authority"] = TextLimits.Message("An authority", CiamSystem.MaxAuthorityLength, authority.Length);
        }

        if (clientId.Length > CiamSystem.MaxClientIdLength)
        {
            errors["ClientId"] = TextLimits.Message("A client id", CiamSystem.MaxClientIdLength, clientId.Length);
        }

        if (form.Scopes.Length > CiamSystem.MaxScopesLength)
        {
            errors["Scopes"] = TextLimits.Message("The scopes", CiamSystem.MaxScopesLength, form.Scopes.Length);
        }

        // The development provider's row keeps its placeholder authority: a configured scheme serves it.
        bool keepsConfiguredAuthority = existing is not null && authority == existing.Authority && signInProviders.ConfiguredFor(authority) is not null;
        if (errors.ContainsKey("Authority"))
        {
            // too long: said above
        }
        else if (!keepsConfiguredAuthority && AuthorityProblem(authority) is { } authorityProblem)
        {
            errors["Authority"] = authorityProblem;
        }
        else if (!keepsConfiguredAuthority && signInProviders.ConfiguredFor(authority) is { } configured)
        {
            // A second row for a configured scheme would take over, or block, whose users it signs in.
            errors["Authority"] = $"\"{configured.DisplayName}\" is configured at start-up with this authority; its provider is already listed here.";
        }

        if (clientId.Length == 0)
        {
            errors["ClientId"] = "Enter the client (application) id the provider gave the portal.";
        }

        if (errors.ContainsKey("Scopes"))
        {
            // too long: said above
        }
        else if (scopes.Length > CiamSystem.MaxScopesLength || !scopes.Split(' ').Contains("openid") || !scopes.Split(' ').All(s => ScopeToken().IsMatch(s)))
        {
            errors["Scopes"] = "Space-separated scopes, including openid, e.g. \"openid profile email\".";
        }

        if (secret?.Length > MaxSecretLength)
        {
            errors["Secret"] = TextLimits.Message("A client secret", MaxSecretLength, secret!.Length);
        }

        long? customerId = db.Tenant.AllCustomers
            ? (string.IsNullOrEmpty(form.CustomerId) ? null : long.TryParse(form.CustomerId, NumberStyles.None, CultureInfo.InvariantCulture, out long c) ? c : -1)
            : db.Tenant.CustomerId;
        if (customerId is long owner && !await db.Customers.AnyAsync(x => x.Id == owner, cancellationToken))
        {
            errors["Customer"] = "Choose a customer.";
        }
        else if (existing is not null && existing.CustomerId != customerId)
        {
            errors["Customer"] = "A provider cannot move to another owner: its users' links would follow it. Create a new one instead.";
        }

        if (errors.Count == 0 && await db.CiamSystems.AnyAsync(x => x.CustomerId == customerId && x.Name == name && x.Id != (existing == null ? 0 : existing.Id), cancellationToken))
        {
            errors["Name"] = "Another provider of this owner already has this name.";
        }

        if (errors.Count > 0)
        {
            return (new ChangeResult(false, errors), null);
        }

        var row = existing ?? new CiamSystem { CustomerId = customerId };
        if (existing is null)
        {
            db.CiamSystems.Add(row);
        }
        else
        {
            db.Entry(row).Property(x => x.Version).OriginalValue = form.Version;
        }

        row.Name = name;
        row.ProviderType = form.Type;
        row.Authority = keepsConfiguredAuthority ? row.Authority : authority.TrimEnd('/');
        row.ClientId = clientId;
        row.Scopes = scopes;
        row.IsEnabled = form.IsEnabled;
        if (secret is not null)
        {
            row.ClientSecretProtected = dataProtection.CreateProtector(ProviderSchemes.ClientSecretPurpose).Protect(secret);
            row.ClientSecretSetAt = clock.GetUtcNow().UtcDateTime;
        }
        else if (form.ClearSecret)
        {
            row.ClientSecretProtected = null;
            row.ClientSecretSetAt = null;
        }

        var result = await SaveAsync(db, cancellationToken);
        return (result, result.Succeeded ? Text(row.Id) : null);
    }

    /// <summary>Only a provider nobody signs in with can go; otherwise disabling keeps the links for later.</summary>
    public async Task<ChangeResult> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.CiamSystems.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (row is null)
        {
            return ChangeResult.Missing();
        }

        if (FromConfiguration(row) is not null)
        {
            return ChangeResult.Invalid("Action", ManagedInConfiguration);
        }

        // Exact under the filter: a customer's provider links only that customer's users (the save guard), and only a
        // platform admin, who sees every link, can delete a platform-wide one.
        int linked = await db.UserCiamMappings.CountAsync(m => m.CiamSystemId == id, cancellationToken);
        if (linked > 0)
        {
            return ChangeResult.Invalid("Action", $"{row.Name} still links {linked} user(s). Disable it instead: their links stay for when it comes back.");
        }

        db.CiamSystems.Remove(row);
        return await SaveAsync(db, cancellationToken);
    }

    /// <summary>Runs the connection checks against the saved provider, with the redirect URI this portal will send.</summary>
    public async Task<ConnectionTestResult?> TestConnectionAsync(long id, string portalBaseUri, CancellationToken cancellationToken = default)
    {
        var provider = await GetAsync(id, cancellationToken);
        if (provider is null)
        {
            return null;
        }

        // A provider from configuration signs in with its own scheme, callback and credentials.
        var configured = configuredProviders.ForAuthority(provider.Authority);
        string callbackPath = configured is null ? provider.CallbackPath : "/signin-" + configured.Scheme;
        var credentials = configured is null ? await StoredCredentialsAsync(id, cancellationToken) : ConfiguredCredentials(configured.Scheme);
        return await tester.TestAsync(provider.Type, provider.Authority, portalBaseUri.TrimEnd('/') + callbackPath, cancellationToken, credentials);
    }

    /// <summary>The row's client id and decrypted secret; a secret the keys cannot decrypt is tested as absent (the detail page already says so).</summary>
    private async Task<ProviderClientCredentials> StoredCredentialsAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.CiamSystems.AsNoTracking().Where(c => c.Id == id).Select(c => new { c.ClientId, c.ClientSecretProtected }).SingleAsync(cancellationToken);
        string? secret = null;
        if (row.ClientSecretProtected is { Length: > 0 } protectedSecret)
        {
            try
            {
                secret = dataProtection.CreateProtector(ProviderSchemes.ClientSecretPurpose).Unprotect(protectedSecret);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                secret = null;
            }
        }

        return new ProviderClientCredentials(row.ClientId, secret);
    }

    /// <summary>What the configured scheme's handler sends (Identity.Web binds its section into the same options).</summary>
    private ProviderClientCredentials ConfiguredCredentials(string scheme)
    {
        var options = signInOptions.Get(scheme);
        return new ProviderClientCredentials(options.ClientId ?? "", options.ClientSecret);
    }

    public string? AuthorityProblem(string authority) =>
        authority.Length > 500 || !Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)
            ? "Enter the provider's issuer address, like https://login.example.com/realms/acme."
            : !ProviderConnectionTester.IsAcceptableEndpoint(uri, environment.IsDevelopment())
                ? "Use https. Plain http is accepted only for a loopback address while developing."
                : null;

    private static async Task<CappedCount> MappedUsersAsync(PortalDbContext db, long id, CancellationToken cancellationToken) =>
        await CappedCount.CountAsync(db.UserCiamMappings.Where(m => m.CiamSystemId == id), cancellationToken);

    /// <summary>Configured providers left out at start-up, and why: for platform admins only (they change the configuration).</summary>
    public async Task<IReadOnlyList<ConfiguredProviderProblem>> ConfigurationProblemsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return db.Tenant.AllCustomers ? configuredProviders.Problems : [];
    }

    /// <summary>Derived at run time, not stored: a row is "from configuration" while a configured provider has its authority.</summary>
    private ConfiguredProvider? FromConfiguration(CiamSystem provider) => configuredProviders.ForAuthority(provider.Authority);

    private static bool CanEdit(PortalDbContext db, CiamSystem provider) => db.Tenant.AllCustomers || (provider.CustomerId is long c && c == db.Tenant.CustomerId);

    private static string OwnerOf(CiamSystem provider) => provider.Customer?.Name ?? "Platform";

    private async Task<ChangeResult> SaveAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return new ChangeResult(false, [], "Someone else changed this provider after you opened it. Reload to see their change; nothing of yours was saved.");
        }
        catch (CrossTenantWriteException)
        {
            return ChangeResult.Invalid("Action", PlatformOnly);
        }

        await schemes.RefreshAsync(cancellationToken);
        await changes.PublishAsync(Change.ProvidersChanged(), CancellationToken.None);
        return ChangeResult.Ok();
    }

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}
