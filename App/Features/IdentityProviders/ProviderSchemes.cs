using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Validators;

namespace AdminPortal.App.Features.IdentityProviders;

/// <summary>What the sign-in page makes of one provider row, for its detail page.</summary>
public sealed record ProviderStatus(bool Offered, string Text);

/// <summary>
/// The OpenID Connect options of the schemes added at run time: one per enabled <c>ciam_systems</c> row, named
/// <c>ciam-{id}</c>, with its own callback path. <see cref="ProviderSchemes"/> swaps <see cref="Current"/>; the options
/// system asks here whenever it builds a scheme's options.
/// </summary>
public sealed class ProviderSchemeDefinitions(ProviderNetworkPolicy network) : IConfigureNamedOptions<OpenIdConnectOptions>
{
    // One handler for every provider's requests, so that connections are pooled and the network policy applies.
    private readonly Lazy<HttpMessageHandler> backchannel = new(network.CreateHandler);

    public sealed record Definition(long Id, string Name, CiamProviderType Type, string Authority, string ClientId, string? ClientSecret, string Scopes, long Version)
    {
        // The secret stays out of logs and exception messages that print the record.
        public override string ToString() => $"{Name} ({Authority}, client {ClientId})";
    }

    public ImmutableDictionary<string, Definition> Current { get; set; } = ImmutableDictionary<string, Definition>.Empty;

    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (name is null || !Current.TryGetValue(name, out var definition))
        {
            return;
        }

        options.SignInScheme = AuthSetup.CookieScheme;
        options.Authority = definition.Authority;
        options.ClientId = definition.ClientId;
        options.ClientSecret = definition.ClientSecret;
        // http passes validation only for loopback in Development (ProviderSchemes.Define).
        options.RequireHttpsMetadata = definition.Authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        // A provider that hangs must not hold a sign-in click for the default minute.
        options.BackchannelTimeout = TimeSpan.FromSeconds(15);
        options.BackchannelHttpHandler = backchannel.Value;
        AuthSetup.ConfigureCodeFlow(options, name, definition.Scopes);
        // Its own front-channel sign-out path too (the default /signout-oidc is shared), so that ProviderCallbackDispatcher routes it.
        options.RemoteSignOutPath = "/signout-remote-" + name;
        if (definition.Type == CiamProviderType.EntraId && IsMultiTenantEntra(definition.Authority))
        {
            // common / organizations publish the issuer as a {tenantid} template; Microsoft's validator resolves it.
            options.TokenValidationParameters.IssuerValidator = AadIssuerValidator.GetAadIssuerValidator(definition.Authority).Validate;
        }
    }

    public void Configure(OpenIdConnectOptions options) => Configure(Options.DefaultName, options);

    /// <summary>common / organizations / consumers: the Entra authorities whose discovery document publishes an issuer template.</summary>
    public static bool IsMultiTenantEntra(string authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri)
        && uri.Segments.Skip(1).FirstOrDefault()?.TrimEnd('/').ToLowerInvariant() is "common" or "organizations" or "consumers";
}

/// <summary>
/// Keeps the sign-in schemes in step with the <c>ciam_systems</c> table, without a restart: an enabled provider becomes
/// a scheme (and a button on the sign-in page) at once, a disabled or deleted one disappears.
/// </summary>
/// <remarks>
/// <para>A save on this instance calls <see cref="RefreshAsync"/> directly and publishes a
/// <see cref="ChangeTopic.Providers"/> change; other instances refresh when it reaches them (or on a
/// <see cref="ChangeTopic.Resync"/> after their listener reconnects). A slow poll of a version stamp (the (id, version)
/// pairs of every row, which any insert, update or delete changes) stays as the fallback for a lost notification or
/// a database without LISTEN/NOTIFY: <c>IdentityProviders:RefreshInterval</c>, default 5 minutes.</para>
/// <para>A provider whose configuration cannot work (no client id, an http authority outside Development, a secret
/// the shared keys cannot decrypt, options the OIDC handler rejects) is never registered: the authentication
/// middleware asks every remote scheme about every request, so one broken scheme would otherwise break them all.
/// Its detail page says why it is not offered.</para>
/// </remarks>
public sealed class ProviderSchemes(
    IServiceScopeFactory scopes,
    SignInProviders providers,
    ProviderSchemeDefinitions definitions,
    IAuthenticationSchemeProvider schemes,
    IOptionsMonitorCache<OpenIdConnectOptions> optionsCache,
    IOptionsMonitor<OpenIdConnectOptions> options,
    IDataProtectionProvider dataProtection,
    IHostEnvironment environment,
    IConfiguration configuration,
    ILogger<ProviderSchemes> logger,
    IChangeFeed? feed = null) : BackgroundService
{
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromMinutes(5);

    public const string SchemePrefix = "ciam-";
    public const string ClientSecretPurpose = "AdminPortal.IdentityProviders.ClientSecret.v1";

    private readonly SemaphoreSlim gate = new(1, 1);
    private ImmutableDictionary<long, ProviderStatus> statuses = ImmutableDictionary<long, ProviderStatus>.Empty;
    private string? stamp;

    public static string SchemeFor(long id) => SchemePrefix + id.ToString(CultureInfo.InvariantCulture);

    public static string CallbackPathFor(long id) => "/signin-" + SchemeFor(id);

    public ProviderStatus? StatusOf(long id) => statuses.GetValueOrDefault(id);

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var rows = await LoadAsync(cancellationToken);
            string newStamp = string.Join(',', rows.OrderBy(r => r.Id).Select(r => $"{r.Id}:{r.Version}"));
            if (newStamp == stamp)
            {
                return;
            }

            var newStatuses = new Dictionary<long, ProviderStatus>();
            var wanted = new Dictionary<string, ProviderSchemeDefinitions.Definition>();
            foreach (var row in rows)
            {
                if (!row.IsEnabled)
                {
                    newStatuses[row.Id] = new ProviderStatus(false, "Disabled: not offered at sign-in.");
                }
                else if (providers.ConfiguredFor(row.Authority) is { } configured)
                {
                    newStatuses[row.Id] = new ProviderStatus(true, $"Offered at sign-in as \"{configured.DisplayName}\", configured at start-up.");
                }
                else
                {
                    var (definition, problem) = Define(row);
                    if (definition is null)
                    {
                        newStatuses[row.Id] = new ProviderStatus(false, "Not offered at sign-in: " + problem);
                    }
                    else
                    {
                        wanted[SchemeFor(row.Id)] = definition;
                    }
                }
            }

            var previous = definitions.Current;
            var stale = previous.Where(p => !wanted.TryGetValue(p.Key, out var definition) || definition != p.Value).Select(p => p.Key).ToList();
            foreach (string scheme in stale)
            {
                schemes.RemoveScheme(scheme);
            }

            // Publish first, then drop cached options: a request that builds options from here on builds them from
            // the new definitions, and whatever it built from the old ones before is dropped just below or in TryBuild.
            definitions.Current = wanted.ToImmutableDictionary();
            foreach (string scheme in stale)
            {
                optionsCache.TryRemove(scheme);
            }

            var registered = new Dictionary<string, ProviderSchemeDefinitions.Definition>();
            foreach (var (scheme, definition) in wanted)
            {
                bool unchanged = previous.TryGetValue(scheme, out var old) && old == definition;
                if (!unchanged && TryBuild(scheme, definition) is { } problem)
                {
                    newStatuses[definition.Id] = new ProviderStatus(false, "Not offered at sign-in: " + problem);
                    continue;
                }

                registered[scheme] = definition;
                newStatuses[definition.Id] = new ProviderStatus(true, "Offered at sign-in.");
            }

            definitions.Current = registered.ToImmutableDictionary();
            providers.ReplaceRuntime(registered
                .OrderBy(r => r.Value.Name, StringComparer.OrdinalIgnoreCase)
                .Select(r => new SignInProvider(r.Key, r.Value.Name, SignInHandler.OpenIdConnect, r.Value.Authority, r.Value.Id, IsMicrosoftAuthority(r.Value)))
                .ToList());
            statuses = newStatuses.ToImmutableDictionary();
            // A failure may pass by itself (a key another instance just wrote, say): while any enabled row fails, the
            // next poll looks again rather than trusting the unchanged stamp.
            bool anyFailed = rows.Any(r => r.IsEnabled && newStatuses.TryGetValue(r.Id, out var status) && !status.Offered);
            stamp = anyFailed ? null : newStamp;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The first refresh happens before start-up completes, so that a new instance never answers a provider's callback without its scheme.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Could not load the identity provider sign-in schemes at start-up; the next poll tries again.");
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("IdentityProviders:RefreshInterval", DefaultRefreshInterval);
        using var timer = new PeriodicTimer(interval);
        // A notice from any instance wakes the loop at once; several in a burst make one refresh.
        var wake = System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });
        using var subscription = feed?.Subscribe(change =>
        {
            if (change.Topic is ChangeTopic.Providers or ChangeTopic.Resync)
            {
                wake.Writer.TryWrite(true);
            }
        });
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The schemes already registered keep working; the next tick tries again.
                logger.LogWarning(ex, "Could not refresh the identity provider sign-in schemes.");
            }

            var woken = wake.Reader.WaitToReadAsync(stoppingToken).AsTask();
            if (await Task.WhenAny(tick, woken) == tick)
            {
                if (!await tick)
                {
                    break;
                }

                tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
            }
            else
            {
                await woken;
                wake.Reader.TryRead(out _);
            }
        }
        while (!stoppingToken.IsCancellationRequested);
    }

    private async Task<List<CiamSystem>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("identity-provider-schemes"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        return await db.CiamSystems.AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Whether the provider's tokens come from Microsoft Entra, so that their oid and tid can link legacy Azure
    /// accounts: decided by the authority's host (validated against its issuer), never by the type an admin chose.
    /// </summary>
    private static bool IsMicrosoftAuthority(ProviderSchemeDefinitions.Definition definition) =>
        definition.Type != CiamProviderType.Oidc
        && Uri.TryCreate(definition.Authority, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttps
        && uri.IsDefaultPort
        && Auth.EntraIssuers.IsEntraHost(uri.Host); // one list of Microsoft's hosts, the one the sign-in's issuer check uses

    /// <summary>Turns a row into a scheme definition, or says why it cannot sign anybody in.</summary>
    private (ProviderSchemeDefinitions.Definition? Definition, string? Problem) Define(CiamSystem row)
    {
        if (!Uri.TryCreate(row.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
        {
            return (null, "the authority is not an http(s) address.");
        }

        if (!ProviderConnectionTester.IsAcceptableEndpoint(authority, environment.IsDevelopment()))
        {
            return (null, "the authority must use https (http is allowed only for loopback addresses in Development).");
        }

        if (string.IsNullOrWhiteSpace(row.ClientId))
        {
            return (null, "there is no client id.");
        }

        string? secret = null;
        if (row.ClientSecretProtected is { Length: > 0 } protectedSecret)
        {
            try
            {
                secret = dataProtection.CreateProtector(ClientSecretPurpose).Unprotect(protectedSecret);
            }
            catch (CryptographicException)
            {
                return (null, "the client secret cannot be decrypted with the shared Data Protection keys. Set it again.");
            }
        }

        return (new ProviderSchemeDefinitions.Definition(row.Id, row.Name, row.ProviderType, row.Authority.TrimEnd('/'), row.ClientId.Trim(), secret, row.Scopes, row.Version), null);
    }

    /// <summary>Builds and validates the scheme's options, then registers it; a problem leaves it unregistered.</summary>
    private string? TryBuild(string scheme, ProviderSchemeDefinitions.Definition definition)
    {
        try
        {
            optionsCache.TryRemove(scheme);
            options.Get(scheme).Validate(scheme);
            if (!schemes.TryAddScheme(new AuthenticationScheme(scheme, definition.Name, typeof(OpenIdConnectHandler))))
            {
                return "its sign-in scheme name is already taken.";
            }

            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            optionsCache.TryRemove(scheme);
            logger.LogWarning("Identity provider {Provider} is not offered at sign-in: {Problem}", definition.ToString(), ex.Message);
            return ex.Message;
        }
    }
}
