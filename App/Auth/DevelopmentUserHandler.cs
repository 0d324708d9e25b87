using System.Security.Claims;
using System.Text.Encodings.Web;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AdminPortal.App.Auth;

/// <summary>
/// Stand-in sign-in until real OIDC lands: every request is a platform admin. Development only, loopback only;
/// start-up refuses it anywhere else. It produces the same claims that sign-in will, so the tenant plumbing behind it
/// is the real one.
/// </summary>
public sealed class DevelopmentUserHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DevelopmentUser";
    public const string DisplayName = "Development admin";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var remote = Context.Connection.RemoteIpAddress;
        if (remote is not null && !System.Net.IPAddress.IsLoopback(remote))
        {
            return Task.FromResult(AuthenticateResult.Fail("The development user signs in from loopback only."));
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(PortalClaimTypes.DisplayName, DisplayName),
                new Claim(PortalClaimTypes.Role, PortalRoles.PlatformAdmin),
            ],
            SchemeName,
            PortalClaimTypes.DisplayName,
            PortalClaimTypes.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
