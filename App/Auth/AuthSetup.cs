using AdminPortal.App.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Identity.Web;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;

namespace AdminPortal.App.Auth;

/// <summary>
/// Sign-in: the cookie is the default scheme; each identity provider is a scheme of its own that the sign-in page
/// challenges by name. Entra ID and Entra External ID go through Microsoft.Identity.Web, every other OIDC provider
/// through the standard handler. All of them end in <see cref="SignInService"/>.
/// </summary>
public static class AuthSetup
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;

    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var providers = new SignInProviders();
        services.AddSingleton(providers);

        var authentication = services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieScheme;
                options.DefaultChallengeScheme = CookieScheme;
            })
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = "adminportal.session";
                options.LoginPath = "/signin";
                options.AccessDeniedPath = "/no-access";
                options.ReturnUrlParameter = "returnUrl";
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
                options.Events.OnValidatePrincipal = ValidateSessionAsync;
            });

        // Each configured provider is validated before its scheme is added: an invalid one is left out (logged, shown
        // to platform admins, /health/ready Degraded) instead of turning every request into a 500.
        var configured = services.AddConfiguredProviders(builder.Environment);
        foreach (var section in configuration.GetSection("Authentication:Entra").GetChildren())
        {
            string scheme = "entra-" + section.Key.ToLowerInvariant();
            if (configured.Accept(section, ConfiguredProviderKind.Entra, scheme) is not { } entra)
            {
                continue;
            }

            AddEntra(authentication, providers, section, scheme);
            if (entra.AllowHttpAuthority)
            {
                // Development only (validated): after AddMicrosoftIdentityWebApp, which would otherwise turn it back on.
                services.Configure<OpenIdConnectOptions>(scheme, options => options.RequireHttpsMetadata = false);
            }
        }

        foreach (var section in configuration.GetSection("Authentication:Oidc").GetChildren())
        {
            string scheme = "oidc-" + section.Key.ToLowerInvariant();
            if (configured.Accept(section, ConfiguredProviderKind.Oidc, scheme) is not { } oidc)
            {
                continue;
            }

            authentication.AddOpenIdConnect(scheme, options =>
            {
                options.Authority = oidc.Authority;
                options.ClientId = oidc.ClientId;
                options.ClientSecret = section["ClientSecret"];
                options.RequireHttpsMetadata = !oidc.AllowHttpAuthority;
                ConfigureCodeFlow(options, scheme, section["Scopes"]);
            });
            providers.Add(new SignInProvider(scheme, oidc.DisplayName, SignInHandler.OpenIdConnect, oidc.Authority));
        }

        var databaseProvider = configuration.GetValue("Database:Provider", DatabaseProvider.Sqlite);
        if (DevIdentityProvider.IsEnabled(configuration, builder.Environment, new DatabaseOptions { Provider = databaseProvider }))
        {
            if (!builder.Environment.IsDevelopment())
            {
                throw new CommandLine.StartupRefusedException(
                    $"Auth:DevIdentityProvider is on outside Development (environment: {builder.Environment.EnvironmentName}). The development identity provider lets anyone on this machine sign in as any demo user; turn it off and configure Authentication:Entra or Authentication:Oidc.");
            }

            AddDevelopmentSchemes(services, authentication, providers);
        }

        // Every OIDC scheme, configured or development, ends in the same place once its token is validated.
        services.PostConfigureAll<OpenIdConnectOptions>(options =>
        {
            var previous = options.Events.OnTokenValidated;
            options.Events.OnTokenValidated = async context =>
            {
                await previous(context);
                await CompleteSignInAsync(context);
            };
            // The id_token is kept (for the end-session request's id_token_hint) by CompleteSignInAsync, alone: saving
            // tokens would put the access and refresh tokens in the cookie too (Identity.Web turns SaveTokens on).
            options.SaveTokens = false;
            var previousRedirect = options.Events.OnRedirectToIdentityProvider;
            options.Events.OnRedirectToIdentityProvider = async context =>
            {
                await previousRedirect(context);
                // Email-first sign-in: the address the person typed, so that the provider need not ask for it again.
                if (string.IsNullOrEmpty(context.ProtocolMessage.LoginHint) && context.Properties.GetParameter<string>(LoginHintParameter) is { Length: > 0 } hint)
                {
                    context.ProtocolMessage.LoginHint = hint;
                }
            };
            var previousSignOut = options.Events.OnRedirectToIdentityProviderForSignOut;
            options.Events.OnRedirectToIdentityProviderForSignOut = async context =>
            {
                await previousSignOut(context);
                // The handler looks the hint up in the cookie, which /signout has already removed.
                if (string.IsNullOrEmpty(context.ProtocolMessage.IdTokenHint) && context.HttpContext.Items[IdTokenHintItem] is string hint)
                {
                    context.ProtocolMessage.IdTokenHint = hint;
                }
            };
            // The person pressed cancel (or declined consent) at the provider: error=access_denied, not a fault.
            options.Events.OnAccessDenied = context =>
            {
                LogRemoteFailure(context.HttpContext, context.Scheme.Name, "Cancelled", null);
                context.HandleResponse();
                context.Response.Redirect("/signin?reason=Cancelled");
                return Task.CompletedTask;
            };
            var previousTokenResponse = options.Events.OnTokenResponseReceived;
            options.Events.OnTokenResponseReceived = async context =>
            {
                SigningKeyRotation.RememberKeyId(context);
                await previousTokenResponse(context);
            };
            options.Events.OnRemoteFailure = async context =>
            {
                // A signing key the cached key set lacks: refresh the keys and sign in again once (SigningKeyRotation).
                if (await SigningKeyRotation.TryRecoverAsync(context))
                {
                    return;
                }

                // Fallback for a handler that reports access_denied as a failure rather than through OnAccessDenied.
                bool cancelled = context.Failure?.Data["error"] as string == "access_denied";
                string reason = cancelled ? "Cancelled" : "Failed";
                LogRemoteFailure(context.HttpContext, context.Scheme.Name, reason, cancelled ? null : context.Failure);
                context.HandleResponse();
                context.Response.Redirect("/signin?reason=" + reason);
            };
        });

        // Identity providers added in the portal become schemes at run time, without a restart.
        services.AddIdentityProviders();

        services.AddSingleton<UserAccessService>();
        services.AddSingleton<Features.Sessions.PortalSessionService>();
        services.AddSingleton<SessionValidator>();
        services.AddSingleton<SignInService>();
        services.AddSingleton<HomeRealmDiscovery>();
        services.AddTransient<IClaimsTransformation, PortalClaimsTransformation>();
        services.AddAuthorizationBuilder().AddPortalPolicies();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, PortalRevalidatingAuthenticationStateProvider>();
        return builder;
    }

    /// <summary>
    /// Microsoft.Identity.Web for one Entra ID or Entra External ID tenant. Settings under
    /// <c>Authentication:Entra:&lt;name&gt;</c>: <c>Instance</c> + <c>TenantId</c> (or <c>Authority</c>), <c>ClientId</c>,
    /// <c>ClientSecret</c>, optional <c>DisplayName</c> and <c>Scopes</c> (default <c>openid profile email</c>). The scheme is
    /// <c>entra-&lt;name&gt;</c>; its redirect URI is <c>/signin-entra-&lt;name&gt;</c> and its signed-out callback
    /// <c>/signout-callback-entra-&lt;name&gt;</c>, set here (a <c>CallbackPath</c> in the section is overridden).
    /// </summary>
    private static void AddEntra(AuthenticationBuilder authentication, SignInProviders providers, IConfigurationSection section, string scheme)
    {
        // Identity.Web reads CallbackPath and SignedOutCallbackPath from the section it is given, not from the OIDC
        // options: set only there, its correlation and nonce cookies are written for its default /signin-oidc while the
        // provider returns to /signin-entra-<name>, and every sign-in fails. So the per-scheme paths go into a copy of
        // the section, which is what Identity.Web binds.
        var effective = new ConfigurationBuilder()
            .AddInMemoryCollection(section.AsEnumerable())
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{section.Path}:CallbackPath"] = "/signin-" + scheme,
                [$"{section.Path}:SignedOutCallbackPath"] = "/signout-callback-" + scheme,
                [$"{section.Path}:ResponseType"] = "code",
            })
            .Build()
            .GetSection(section.Path);
        authentication.AddMicrosoftIdentityWebApp(effective, scheme, cookieScheme: null);
        // Registered after AddMicrosoftIdentityWebApp, so that it wins.
        authentication.Services.Configure<OpenIdConnectOptions>(scheme, options =>
        {
            options.ResponseType = "code";
            options.UsePkce = true;
            options.CallbackPath = "/signin-" + scheme;
            options.SignedOutCallbackPath = "/signout-callback-" + scheme;
            // Identity.Web asks for "openid profile" only: without email, linking a legacy account by its verified email
            // can never happen on this path.
            options.Scope.Clear();
            foreach (string scope in (section["Scopes"] ?? "openid profile email").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                options.Scope.Add(scope);
            }
        });
        string authority = section["Authority"] ?? $"{section["Instance"]?.TrimEnd('/')}/{section["TenantId"]}/v2.0";
        providers.Add(new SignInProvider(scheme, section["DisplayName"] ?? "Microsoft Entra ID", SignInHandler.IdentityWeb, authority));
    }

    /// <summary>
    /// Two schemes against the embedded provider, one per handler, so that both sign-in paths run on every
    /// developer's machine and in the browser tests.
    /// </summary>
    private static void AddDevelopmentSchemes(IServiceCollection services, AuthenticationBuilder authentication, SignInProviders providers)
    {
        services.AddDevIdentityProvider();

        authentication.AddOpenIdConnect(DevIdentityProvider.OidcScheme, options =>
        {
            options.ClientId = DevIdentityProvider.ClientId;
            options.RequireHttpsMetadata = false;
            ConfigureCodeFlow(options, DevIdentityProvider.OidcScheme, "openid profile email");
        });
        // The provider lives in this process: its address is known only once the server listens (port 0 in tests).
        services.AddOptions<OpenIdConnectOptions>(DevIdentityProvider.OidcScheme)
            .Configure<IServer>((options, server) => options.MetadataAddress = DevIdentityProvider.MetadataAddress(server));
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "Development sign-in (OpenID Connect)", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));

        var identityWebSection = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DevEntra:Instance"] = "http://127.0.0.1/",
                ["DevEntra:TenantId"] = "development",
                ["DevEntra:ClientId"] = DevIdentityProvider.ClientId,
                ["DevEntra:CallbackPath"] = "/signin-" + DevIdentityProvider.IdentityWebScheme,
            })
            .Build()
            .GetSection("DevEntra");
        authentication.AddMicrosoftIdentityWebApp(identityWebSection, DevIdentityProvider.IdentityWebScheme, cookieScheme: null);
        // Microsoft.Identity.Web against a non-Microsoft, loopback authority. Registered after AddMicrosoftIdentityWebApp
        // so that it wins. Never relax these outside the development provider.
        services.AddOptions<OpenIdConnectOptions>(DevIdentityProvider.IdentityWebScheme).Configure<IServer>((options, server) =>
        {
            string metadata = DevIdentityProvider.MetadataAddress(server);
            options.RequireHttpsMetadata = false;
            options.MetadataAddress = metadata;
            options.Authority = metadata[..metadata.IndexOf("/.well-known", StringComparison.Ordinal)];
            options.TokenValidationParameters.IssuerValidator = null;
            options.ResponseType = "code";
            options.UsePkce = true;
        });
        providers.Add(new SignInProvider(DevIdentityProvider.IdentityWebScheme, "Development sign-in (Microsoft.Identity.Web)", SignInHandler.IdentityWeb, DevIdentityProvider.Authority));
    }

    internal static void ConfigureCodeFlow(OpenIdConnectOptions options, string scheme, string? scopes)
    {
        options.ResponseType = "code";
        options.UsePkce = true;
        options.MapInboundClaims = false;
        options.SaveTokens = false;
        options.CallbackPath = "/signin-" + scheme;
        options.SignedOutCallbackPath = "/signout-callback-" + scheme;
        options.Scope.Clear();
        foreach (string scope in (scopes ?? "openid profile email").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Scope.Add(scope);
        }
    }

    /// <summary>One line per failed round trip to the provider: the exception's type and protocol error, never its
    /// message's tokens or the request's query/form, which may carry codes.</summary>
    private static void LogRemoteFailure(HttpContext context, string scheme, string reason, Exception? failure)
    {
        var logger = context.RequestServices.GetRequiredService<ILogger<SignInService>>();
        if (failure is null)
        {
            logger.LogInformation("Sign-in through {Scheme} did not complete: {Reason}.", scheme, reason);
        }
        else
        {
            logger.LogWarning("Sign-in through {Scheme} did not complete: {Reason} ({FailureType}, protocol error {Error}).",
                scheme, reason, failure.GetType().Name, failure.Data["error"] as string);
        }
    }

    private static async Task CompleteSignInAsync(TokenValidatedContext context)
    {
        var signIn = context.HttpContext.RequestServices.GetRequiredService<SignInService>();
        var outcome = await signIn.SignInAsync(ExternalIdentity.From(context.Scheme.Name, context.Principal!), Features.Sessions.SessionOrigin.From(context.HttpContext), context.HttpContext.RequestAborted);
        if (outcome.Principal is null)
        {
            // No session: the cookie is never written.
            context.HandleResponse();
            context.Response.Redirect($"/no-access?reason={outcome.Denial}");
            return;
        }

        context.Principal = outcome.Principal;
        // Only the id_token goes into the cookie's ticket (about a kilobyte; the cookie is chunked): sign-out sends it
        // to the provider's end-session endpoint as id_token_hint. Never the access or refresh token.
        if ((context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken) is { Length: > 0 } idToken)
        {
            context.Properties!.StoreTokens([new AuthenticationToken { Name = "id_token", Value = idToken }]);
        }
    }

    private const string IdTokenHintItem = "adminportal.id_token_hint";

    /// <summary>The challenge parameter that carries an email-first sign-in's address to the provider as login_hint.</summary>
    public const string LoginHintParameter = "login_hint";

    internal static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        // Unverified (the database could not answer) keeps the session: an outage never signs anybody out.
        var validator = context.HttpContext.RequestServices.GetRequiredService<SessionValidator>();
        if (await validator.ValidateAsync(context.Principal!, cancellationToken: context.HttpContext.RequestAborted) == SessionVerdict.Invalid)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }

        // A role (or site) changed since the cookie was issued: re-issue it with the database's claims, so the old role
        // is not kept in the cookie to stand in for the database when it cannot answer.
        if (UserAccessService.UserIdOf(context.Principal!) is long userId
            && await validator.ReadUserAsync(userId, context.HttpContext.RequestAborted) is (true, { MaySignIn: true } current)
            && !PortalClaimsTransformation.HasCurrentClaims(context.Principal!, current))
        {
            context.ReplacePrincipal(PortalClaimsTransformation.WithCurrentClaims(context.Principal!, current));
            context.ShouldRenew = true;
        }
    }

    public static void MapSignInEndpoints(this WebApplication app)
    {
        app.MapGet("/signin/challenge/{scheme}", async (string scheme, string? returnUrl, string? keyRetry, string? loginHint, HttpContext context, SignInProviders providers, ILogger<SignInProviders> logger) =>
            {
                if (providers.Find(scheme) is null)
                {
                    return Results.NotFound();
                }

                try
                {
                    // Challenged here rather than through Results.Challenge, so that a provider that cannot be reached
                    // (its discovery document fails) sends the user back to choose another instead of to an error page.
                    var properties = new AuthenticationProperties { RedirectUri = SafeReturnUrl(returnUrl) };
                    if (keyRetry is not null)
                    {
                        // The retry after a key refresh: a second unknown key fails. (Added by hand, it only forgoes a retry.)
                        properties.Items[SigningKeyRotation.RetryItem] = "1";
                    }

                    if (Features.Customers.DomainNames.TryDomainOfEmail(loginHint, out _))
                    {
                        properties.SetParameter(LoginHintParameter, loginHint!.Trim());
                    }

                    await context.ChallengeAsync(scheme, properties);
                    return Results.Empty;
                }
                catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
                {
                    logger.LogWarning("Sign-in through {Scheme} could not start: {Problem}", scheme, ex.Message);
                    return Results.LocalRedirect("/signin?reason=ProviderUnavailable");
                }
            })
            .AllowAnonymous()
            .RequireRateLimiting(Security.RateLimits.SignIn);

        app.MapPost("/signout", SignOutAsync)
            .AllowAnonymous()
            .WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute());
    }

    /// <summary>
    /// Ends the server-side session, then the cookie. The antiforgery token is checked here: the endpoint reads no
    /// form, so the metadata alone is never enforced, and a cross-site POST could sign people out.
    /// </summary>
    internal static async Task<IResult> SignOutAsync(HttpContext context, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, Features.Sessions.PortalSessionService sessions)
    {
        // UseAntiforgery has validated the token (it only records the result); without its verdict, validate here.
        bool valid = context.Features.Get<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>() is { } validation
            ? validation.IsValid
            : await antiforgery.IsRequestValidAsync(context);
        if (!valid)
        {
            return Results.BadRequest("The sign-out form has expired. Reload the page and sign out again.");
        }

        if (SessionValidator.SessionIdOf(context.User) is long sessionId)
        {
            string actor = context.User.FindFirst(PortalClaimTypes.DisplayName)?.Value ?? "unknown";
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            bounded.CancelAfter(TimeSpan.FromSeconds(5)); // not the retry strategy's minute: the person is waiting
            try
            {
                await sessions.EndAsync(sessionId, Features.Sessions.SessionEndReason.SignedOut, actor, UserAccessService.UserIdOf(context.User), cancellationToken: bounded.Token);
            }
            catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested && (exception is OperationCanceledException || DatabaseFailure.CouldNotAnswer(exception)))
            {
                // Signing out always works in this browser; the record stays open until revoke or its cookie expires.
                context.RequestServices.GetRequiredService<ILogger<SignInProviders>>().LogWarning(
                    "Session {SessionId} could not be ended in the database ({Problem}); the cookie is removed anyway.", sessionId, exception.GetBaseException().Message);
            }
        }

        string? idToken = (await context.AuthenticateAsync(CookieScheme)).Properties?.GetTokenValue("id_token");
        string? provider = context.User.FindFirst(PortalClaimTypes.Provider)?.Value;
        await context.SignOutAsync(CookieScheme);
        return await SignOutAtProviderAsync(context, provider, idToken);
    }

    /// <summary>
    /// RP-initiated logout: when the provider that signed the person in advertises an end-session endpoint, the browser
    /// goes there (with id_token_hint and the scheme's post-logout redirect URI) and comes back to the sign-in page.
    /// Otherwise the sign-out stays local, and the sign-in page says the provider's own session may still be open.
    /// </summary>
    private static async Task<IResult> SignOutAtProviderAsync(HttpContext context, string? scheme, string? idToken)
    {
        const string signedOut = "/signin?reason=SignedOut";
        if (scheme is null || context.RequestServices.GetService<SignInProviders>()?.Find(scheme) is null
            || context.RequestServices.GetService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIdConnectOptions>>() is not { } monitor)
        {
            return Results.LocalRedirect(signedOut);
        }

        string local = $"/signin?reason=SignedOutLocally&provider={Uri.EscapeDataString(scheme)}";
        try
        {
            // The handler throws when the metadata has no end_session_endpoint: asked first, so that it never does.
            var options = monitor.Get(scheme);
            if (options.ConfigurationManager is null)
            {
                return Results.LocalRedirect(local);
            }

            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            bounded.CancelAfter(TimeSpan.FromSeconds(5)); // the person is waiting; the metadata is normally cached
            var metadata = await options.ConfigurationManager.GetConfigurationAsync(bounded.Token);
            if (string.IsNullOrEmpty(metadata.EndSessionEndpoint))
            {
                return Results.LocalRedirect(local);
            }

            context.Items[IdTokenHintItem] = idToken;
            await context.SignOutAsync(scheme, new AuthenticationProperties { RedirectUri = signedOut });
            return ContinueToProvider(context, scheme);
        }
        catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            // Unreachable metadata or a scheme removed meanwhile: the portal session is gone all the same.
            context.RequestServices.GetRequiredService<ILogger<SignInProviders>>().LogWarning(
                "Sign-out at {Scheme} could not start ({Problem}); signed out of the portal only.", scheme, exception.GetBaseException().Message);
            return Results.LocalRedirect(local);
        }
    }

    /// <summary>
    /// The handler answered with a redirect to the end-session endpoint, but this is the response to the sign-out form's
    /// POST, and the CSP's form-action 'self' stops a form's redirect chain at another origin. So the browser gets a
    /// page that goes there itself (a meta refresh, which form-action does not govern, and a link for the rest).
    /// </summary>
    private static IResult ContinueToProvider(HttpContext context, string scheme)
    {
        string location = context.Response.Headers.Location.ToString();
        if (context.Response.StatusCode != StatusCodes.Status302Found || location.Length == 0)
        {
            return Results.Empty; // another event handled the response itself
        }

        context.Response.Headers.Remove("Location");
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers.CacheControl = "no-store";
        var encoder = System.Text.Encodings.Web.HtmlEncoder.Default;
        string name = encoder.Encode(context.RequestServices.GetRequiredService<SignInProviders>().Find(scheme)?.DisplayName ?? "your identity provider");
        string url = encoder.Encode(location);
        return Results.Content(
            $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={{url}}"><title>Signing out · AdminPortal</title></head>
            <body><p>Signed out of the portal. Signing you out of {{name}}… <a href="{{url}}">Continue</a></p></body></html>
            """,
            "text/html; charset=utf-8");
    }

    /// <summary>Only local paths: an open redirect after sign-in would hand the session's first click to anyone.</summary>
    /// <remarks>As ASP.NET's IsLocalUrl: one leading slash, no backslash after it, no control characters (browsers drop a tab, so "/\t/evil" is "//evil").</remarks>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl)
        && returnUrl[0] == '/'
        && (returnUrl.Length == 1 || (returnUrl[1] != '/' && returnUrl[1] != '\\'))
        && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : "/";
}
