using System.Text.RegularExpressions;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AdminPortal.App.Auth;

public enum ConfiguredProviderKind
{
    /// <summary><c>Authentication:Entra:&lt;name&gt;</c>, through Microsoft.Identity.Web.</summary>
    Entra,
    /// <summary><c>Authentication:Oidc:&lt;name&gt;</c>, through the standard OpenID Connect handler.</summary>
    Oidc,
}

/// <summary>A provider from configuration whose options passed validation: it has a scheme and a <c>ciam_systems</c> row.</summary>
/// <param name="Section">The configuration path, e.g. <c>Authentication:Oidc:keycloak</c>: what an admin changes.</param>
/// <param name="Authority">As configured, for the handler.</param>
/// <param name="CiamAuthority">Without a trailing slash: the authority of its <c>ciam_systems</c> row.</param>
/// <param name="AllowHttpAuthority">Development only: the authority may use plain http (RequireHttpsMetadata off).</param>
public sealed record ConfiguredProvider(
    string Section, string Scheme, ConfiguredProviderKind Kind, string DisplayName, string Authority, string CiamAuthority,
    string ClientId, string Scopes, CiamProviderType ProviderType, bool AllowHttpAuthority);

/// <summary>A provider from configuration that was left out, and why. Never carries a secret.</summary>
public sealed record ConfiguredProviderProblem(string Section, string Reason)
{
    public override string ToString() => $"{Section}: {Reason}";
}

/// <summary>
/// The identity providers configured under <c>Authentication:Entra</c> and <c>Authentication:Oidc</c>, each validated
/// before its scheme is added. A provider whose options the handler would reject is skipped and kept here as a problem:
/// the authentication middleware builds every remote scheme's options on every request, so one invalid scheme would
/// otherwise turn every request (health checks included) into a 500. Problems are logged once at start-up
/// (<see cref="ConfiguredProviderRows"/>), listed to platform admins on the Identity providers page, and make
/// <c>/health/ready</c> report Degraded.
/// </summary>
public sealed partial class ConfiguredProviders(IHostEnvironment environment)
{
    public const string AllowHttpAuthoritySetting = "AllowHttpAuthority";

    private readonly List<ConfiguredProvider> valid = [];
    private readonly List<ConfiguredProviderProblem> problems = [];

    public IReadOnlyList<ConfiguredProvider> Valid => valid;

    public IReadOnlyList<ConfiguredProviderProblem> Problems => problems;

    /// <summary>The provider from configuration whose row has this authority, if any: such a row is managed in configuration.</summary>
    public ConfiguredProvider? ForAuthority(string authority) =>
        valid.FirstOrDefault(p => string.Equals(p.CiamAuthority, authority.TrimEnd('/'), StringComparison.Ordinal));

    // Scheme names end up in callback paths (/signin-oidc-<name>) and cookie names.
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SectionName();

    /// <summary>Validates one section; returns the provider to add, or null (and records the problem) to skip it.</summary>
    public ConfiguredProvider? Accept(IConfigurationSection section, ConfiguredProviderKind kind, string scheme)
    {
        var (provider, reason) = Validate(section, kind, scheme);
        if (provider is null)
        {
            problems.Add(new ConfiguredProviderProblem(section.Path, reason!));
            return null;
        }

        valid.Add(provider);
        return provider;
    }

    private (ConfiguredProvider? Provider, string? Reason) Validate(IConfigurationSection section, ConfiguredProviderKind kind, string scheme)
    {
        if (!SectionName().IsMatch(section.Key))
        {
            return (null, "the name may use only letters, digits, '-' and '_' (at most 64): it becomes the callback path /signin-" + scheme + ".");
        }

        if (valid.Any(p => string.Equals(p.Scheme, scheme, StringComparison.Ordinal)))
        {
            return (null, $"another provider already uses the sign-in scheme {scheme} (names differ only in case).");
        }

        bool allowHttp = false;
        if (section[AllowHttpAuthoritySetting] is { Length: > 0 } allowText)
        {
            if (!bool.TryParse(allowText, out allowHttp))
            {
                return (null, $"{AllowHttpAuthoritySetting} must be true or false.");
            }

            if (allowHttp && !environment.IsDevelopment())
            {
                return (null, $"{AllowHttpAuthoritySetting}=true is set outside Development (environment: {environment.EnvironmentName}); a plain-http authority is accepted only while developing. Remove the setting and use https.");
            }
        }

        string? authority;
        if (kind == ConfiguredProviderKind.Entra && string.IsNullOrWhiteSpace(section["Authority"]))
        {
            // Microsoft.Identity.Web's own rule: Instance + TenantId, or an Authority it splits into them.
            if (string.IsNullOrWhiteSpace(section["Instance"]))
            {
                return (null, "set Authority, or Instance and TenantId (e.g. Instance https://login.microsoftonline.com/).");
            }

            if (string.IsNullOrWhiteSpace(section["TenantId"]))
            {
                return (null, "TenantId is missing (or set Authority instead of Instance and TenantId).");
            }

            if (UrlProblem(section["Instance"]!, "Instance", allowHttp) is { } instanceProblem)
            {
                return (null, instanceProblem);
            }

            // The same authority AuthSetup.AddEntra gives the sign-in scheme.
            authority = $"{section["Instance"]!.TrimEnd('/')}/{section["TenantId"]}/v2.0";
        }
        else
        {
            authority = section["Authority"];
            if (string.IsNullOrWhiteSpace(authority))
            {
                return (null, "Authority is missing.");
            }

            if (UrlProblem(authority, "Authority", allowHttp) is { } authorityProblem)
            {
                return (null, authorityProblem);
            }
        }

        string? clientId = section["ClientId"];
        if (string.IsNullOrWhiteSpace(clientId))
        {
            return (null, "ClientId is missing.");
        }

        string scopes = section["Scopes"] is { Length: > 0 } configuredScopes ? configuredScopes : "openid profile email";
        if (!scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("openid"))
        {
            return (null, "Scopes must include openid.");
        }

        string ciamAuthority = authority.Trim().TrimEnd('/');
        if (ciamAuthority.Length > CiamSystem.MaxAuthorityLength || clientId.Trim().Length > CiamSystem.MaxClientIdLength || scopes.Length > CiamSystem.MaxScopesLength)
        {
            return (null, $"Authority, ClientId or Scopes is longer than the portal stores ({CiamSystem.MaxAuthorityLength}, {CiamSystem.MaxClientIdLength}, {CiamSystem.MaxScopesLength} characters).");
        }

        if (valid.Any(p => p.CiamAuthority == ciamAuthority))
        {
            return (null, "another configured provider already has this authority; whose users it signs in would be unclear.");
        }

        string displayName = section["DisplayName"] is { Length: > 0 } name ? name : kind == ConfiguredProviderKind.Entra ? "Microsoft Entra ID" : section.Key;
        if (displayName.Length > CiamSystem.MaxNameLength)
        {
            return (null, $"DisplayName is longer than {CiamSystem.MaxNameLength} characters.");
        }

        return (new ConfiguredProvider(section.Path, scheme, kind, displayName, authority.Trim(), ciamAuthority, clientId.Trim(), scopes, TypeOf(kind, ciamAuthority), allowHttp), null);
    }

    /// <summary>What the OpenID Connect handler's options validation would throw on, said in configuration terms.</summary>
    private string? UrlProblem(string value, string setting, bool allowHttp)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return $"{setting} must be an absolute https URL, like https://sso.example.com/realms/acme.";
        }

        if (uri.Scheme == "http" && !allowHttp)
        {
            return environment.IsDevelopment()
                ? $"{setting} uses plain http; use https (while developing, {AllowHttpAuthoritySetting}=true in this provider's section accepts http)."
                : $"{setting} uses plain http; use https.";
        }

        return null;
    }

    /// <summary>The ciam_systems type: Entra by Microsoft's hosts (External ID on ciamlogin.com), any other OIDC provider otherwise.</summary>
    private static CiamProviderType TypeOf(ConfiguredProviderKind kind, string authority)
    {
        string host = Uri.TryCreate(authority, UriKind.Absolute, out var uri) ? uri.Host : "";
        if (host.EndsWith(".ciamlogin.com", StringComparison.OrdinalIgnoreCase))
        {
            return CiamProviderType.EntraExternalId;
        }

        return kind == ConfiguredProviderKind.Entra || host.Equals("login.microsoftonline.com", StringComparison.OrdinalIgnoreCase)
            ? CiamProviderType.EntraId
            : CiamProviderType.Oidc;
    }
}

/// <summary>Readiness: Degraded (still 200) while a configured identity provider is left out, with the reasons.</summary>
public sealed class ConfiguredProvidersHealthCheck(ConfiguredProviders configured) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(configured.Problems.Count == 0
            ? HealthCheckResult.Healthy("Every configured identity provider is offered.")
            : HealthCheckResult.Degraded(
                $"{configured.Problems.Count} configured identity provider(s) not offered: " + string.Join(" | ", configured.Problems)));
}

public static class ConfiguredProvidersSetup
{
    /// <summary>The validator the sign-in set-up adds configured providers through, its health check, and the start-up step that logs its problems and keeps their rows.</summary>
    public static ConfiguredProviders AddConfiguredProviders(this IServiceCollection services, IHostEnvironment environment)
    {
        var configured = new ConfiguredProviders(environment);
        services.AddSingleton(configured);
        services.AddHealthChecks().AddCheck<ConfiguredProvidersHealthCheck>("identity-provider-configuration", HealthStatus.Degraded, [HealthEndpoints.ReadyTag]);
        // Before ProviderSchemes (AddIdentityProviders): hosted services start in order, so the rows exist when the first refresh reads them.
        services.AddSingleton<ConfiguredProviderRows>();
        services.AddHostedService(sp => sp.GetRequiredService<ConfiguredProviderRows>());
        return configured;
    }
}
