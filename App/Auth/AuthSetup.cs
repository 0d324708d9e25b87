using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace AdminPortal.App.Auth;

public static class AuthSetup
{
    /// <summary>
    /// Sign-in and the default authorization rule: every endpoint needs a signed-in user unless it says otherwise
    /// (the health endpoint does). Until OIDC sign-in lands, the only scheme is the development user.
    /// </summary>
    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        bool developmentUser = builder.Configuration.GetValue("Auth:DevelopmentUser", builder.Environment.IsDevelopment());
        if (developmentUser && builder.Environment.IsProduction())
        {
            throw new InvalidOperationException("Auth:DevelopmentUser signs everyone in as a platform admin and is refused in Production.");
        }

        if (!developmentUser)
        {
            throw new InvalidOperationException("No sign-in is configured. This version signs in only with the development user: run in Development, or set Auth:DevelopmentUser=true outside Production.");
        }

        builder.Services.AddAuthentication(DevelopmentUserHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, DevelopmentUserHandler>(DevelopmentUserHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }
}
