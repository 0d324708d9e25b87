using System.Security.Cryptography;
using System.Text;
using AdminPortal.App.Auth;
using NetEscapades.AspNetCore.SecurityHeaders.Headers;
using NetEscapades.AspNetCore.SecurityHeaders.Infrastructure;

namespace AdminPortal.App.Security;

/// <summary>
/// Response headers on every response (NetEscapades.AspNetCore.SecurityHeaders): a Content-Security-Policy that
/// Blazor Server and MudBlazor work under without 'unsafe-eval', nosniff, no framing, a referrer policy and a
/// permissions policy that turns off the device APIs the portal never uses. HSTS is UseHsts in Program.cs (outside
/// Development).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Scripts: only the portal's own files, plus the one inline script Blazor writes (the import map), which
/// carries this request's nonce (<c>App.razor</c>). No inline event handlers, no eval.</item>
/// <item>Styles: 'unsafe-inline' is unavoidable: MudBlazor sets style attributes on most components and its theme
/// provider writes a &lt;style&gt; element. Styles cannot run script.</item>
/// <item>connect-src 'self' covers the circuit's WebSocket to the same origin.</item>
/// <item>form-action 'self': every form posts to the portal itself (sign-out, the development sign-in); the
/// identity providers are reached by links and redirects after GETs, never by a form post from the portal.</item>
/// </list>
/// </remarks>
public static class SecurityHeaders
{
    /// <summary>The development provider's form_post response (OpenIddict) submits itself with this inline script.</summary>
    private const string DevProviderFormPostScript = "document.form.submit();";

    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        builder.AddRateLimits();
        builder.AddProxyForwardedHeaders();
        var portal = Policy(extraScriptHash: null);
        string formPostHash = "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(DevProviderFormPostScript)));
        var devProvider = Policy(formPostHash);
        // Behind a trusted proxy the browser reaches the development provider on the instance's own address and posts
        // the code to the proxy's public origin: only origins a configured proxy made known (ForwardedOrigins) are added.
        var behindProxy = new System.Collections.Concurrent.ConcurrentDictionary<string, HeaderPolicyCollection>();
        builder.Services.AddSecurityHeaderPolicies()
            .SetDefaultPolicy(portal)
            .SetPolicySelector(context =>
            {
                if (!context.HttpContext.Request.Path.StartsWithSegments(DevIdentityProvider.PathPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    return context.SelectedPolicy;
                }

                var origins = context.HttpContext.RequestServices.GetService<ForwardedOrigins>()?.All ?? [];
                return origins.Count == 0 ? devProvider : behindProxy.GetOrAdd(string.Join(' ', origins), _ => Policy(formPostHash, origins));
            });
        return builder;
    }

    private static HeaderPolicyCollection Policy(string? extraScriptHash, IReadOnlyCollection<string>? extraFormActions = null) => new HeaderPolicyCollection()
        .AddContentTypeOptionsNoSniff()
        .AddFrameOptionsDeny()
        .AddReferrerPolicyStrictOriginWhenCrossOrigin()
        .AddCrossOriginOpenerPolicy(policy => policy.SameOrigin())
        .AddContentSecurityPolicy(csp =>
        {
            csp.AddDefaultSrc().Self();
            var scripts = csp.AddScriptSrc().Self().WithNonce();
            if (extraScriptHash is not null)
            {
                scripts.From($"'{extraScriptHash}'");
            }

            csp.AddStyleSrc().Self().UnsafeInline();
            csp.AddImgSrc().Self().Data();
            csp.AddFontSrc().Self().Data();
            csp.AddConnectSrc().Self();
            csp.AddObjectSrc().None();
            csp.AddBaseUri().Self();
            var formActions = csp.AddFormAction().Self();
            foreach (string origin in extraFormActions ?? [])
            {
                formActions.From(origin);
            }

            csp.AddFrameAncestors().None();
        })
        .AddPermissionsPolicyWithDefaultSecureDirectives();

    /// <summary>A CSV export: rate limited, and never kept in a cache (it holds a tenant's users or audit log).</summary>
    public static RouteHandlerBuilder AsExport(this RouteHandlerBuilder endpoint) => endpoint
        .RequireRateLimiting(RateLimits.Exports)
        .AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            return await next(context);
        });
}
