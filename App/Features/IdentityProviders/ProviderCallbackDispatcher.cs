using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AdminPortal.App.Features.IdentityProviders;

/// <summary>
/// Keeps the providers added in the portal off the hot path. ASP.NET's authentication middleware asks every remote
/// scheme whether a request is its callback, on every request; with hundreds of providers that is hundreds of OIDC
/// handlers per request. This scheme provider hides the <c>ciam-*</c> schemes from that question and shows
/// <see cref="ProviderCallbackDispatcher"/> instead, which answers from the path alone.
/// </summary>
public sealed class PortalAuthenticationSchemeProvider(IOptions<AuthenticationOptions> options) : AuthenticationSchemeProvider(options)
{
    private sealed record Filtered(IEnumerable<AuthenticationScheme> From, AuthenticationScheme[] Schemes);

    private Filtered filtered = new([], []);

    public override async Task<IEnumerable<AuthenticationScheme>> GetRequestHandlerSchemesAsync()
    {
        // The base class hands out the same array until a scheme is added or removed: filter once per change.
        var all = await base.GetRequestHandlerSchemesAsync();
        var current = filtered;
        if (!ReferenceEquals(current.From, all))
        {
            current = new Filtered(all, all.Where(s => !s.Name.StartsWith(ProviderSchemes.SchemePrefix, StringComparison.Ordinal)).ToArray());
            filtered = current;
        }

        return current.Schemes;
    }
}

/// <summary>
/// The one request handler standing in for every <c>ciam-*</c> scheme: a request to <c>/signin-ciam-{id}</c>,
/// <c>/signout-callback-ciam-{id}</c> or <c>/signout-remote-ciam-{id}</c> goes to that provider's OIDC handler; any
/// other request costs one regular expression match.
/// </summary>
public sealed partial class ProviderCallbackDispatcher(IAuthenticationHandlerProvider handlers, IAuthenticationSchemeProvider schemes) : IAuthenticationRequestHandler
{
    public const string Scheme = "provider-callbacks";

    private HttpContext? context;

    [GeneratedRegex(@"^/(?:signin|signout-callback|signout-remote)-(ciam-[0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex CallbackPath();

    /// <summary>The scheme whose callback <paramref name="path"/> is, if it is one.</summary>
    public static string? SchemeOfCallback(PathString path) =>
        path.Value is { } value && CallbackPath().Match(value) is { Success: true } match ? match.Groups[1].Value : null;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        this.context = context;
        return Task.CompletedTask;
    }

    public async Task<bool> HandleRequestAsync()
    {
        if (SchemeOfCallback(context!.Request.Path) is not { } name || await schemes.GetSchemeAsync(name) is null)
        {
            return false;
        }

        return await handlers.GetHandlerAsync(context, name) is IAuthenticationRequestHandler handler && await handler.HandleRequestAsync();
    }

    public Task<AuthenticateResult> AuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

    public Task ChallengeAsync(AuthenticationProperties? properties) => throw new NotSupportedException($"{Scheme} only routes callbacks; challenge a provider's own scheme.");

    public Task ForbidAsync(AuthenticationProperties? properties) => throw new NotSupportedException($"{Scheme} only routes callbacks.");
}
