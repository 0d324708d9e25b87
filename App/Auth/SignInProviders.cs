namespace AdminPortal.App.Auth;

public enum SignInHandler
{
    /// <summary>Microsoft.Identity.Web: Entra ID and Entra External ID.</summary>
    IdentityWeb,
    /// <summary>The standard OpenID Connect handler: Auth0, Okta, Keycloak, the development provider.</summary>
    OpenIdConnect,
}

/// <summary>One way to sign in, as the sign-in page lists it.</summary>
/// <param name="CiamAuthority">The authority of the ciam_systems row whose mappings this scheme's subjects are looked up in.</param>
public sealed record SignInProvider(string Scheme, string DisplayName, SignInHandler Handler, string CiamAuthority);

/// <summary>The sign-in schemes configured at start-up.</summary>
public sealed class SignInProviders
{
    private readonly List<SignInProvider> providers = [];

    public IReadOnlyList<SignInProvider> All => providers;

    public void Add(SignInProvider provider) => providers.Add(provider);

    public SignInProvider? Find(string scheme) => providers.FirstOrDefault(p => string.Equals(p.Scheme, scheme, StringComparison.Ordinal));
}
