using Microsoft.AspNetCore.Components.Authorization;

namespace AdminPortal.App.Tenancy;

/// <summary>
/// The tenant of the current circuit (or request, or job). Scoped: one per circuit. It resolves lazily from
/// <see cref="AuthenticationStateProvider"/>, which works during prerender and inside the circuit alike, and it
/// follows changes of the authentication state. Never from IHttpContextAccessor: HttpContext is null or stale
/// inside a circuit.
/// </summary>
public sealed class TenantContext : IDisposable
{
    private readonly AuthenticationStateProvider? authenticationStateProvider;
    private TenantScope? scope;

    public TenantContext(IServiceProvider services)
    {
        // Absent outside Blazor (command line, background jobs): those set a scope explicitly with Use().
        authenticationStateProvider = services.GetService(typeof(AuthenticationStateProvider)) as AuthenticationStateProvider;
        if (authenticationStateProvider is not null)
        {
            authenticationStateProvider.AuthenticationStateChanged += OnAuthenticationStateChanged;
        }
    }

    private TenantScope? signedInScope;

    /// <summary>The resolved scope, or <see cref="TenantScope.None"/> while it is not resolved: fail closed.</summary>
    public TenantScope Current => scope ?? TenantScope.None;

    /// <summary>The scope the sign-in gave, before any switch: a platform admin's "all customers".</summary>
    public TenantScope SignedIn => signedInScope ?? Current;

    /// <summary>
    /// A platform admin narrows the circuit to one customer (and optionally one site), or widens it back to all.
    /// Callers audit it; see <see cref="TenantSwitchService"/>.
    /// </summary>
    public void SwitchTo(long? customerId, long? siteId, string label)
    {
        var signedIn = SignedIn;
        if (signedIn.Role != PortalRoles.PlatformAdmin)
        {
            throw new UnauthorizedAccessException("Only a platform admin can switch tenant.");
        }

        signedInScope = signedIn;
        Use(customerId is null
            ? signedIn
            : signedIn with { CustomerId = customerId, SiteId = siteId, AllCustomers = false, Label = label });
    }

    /// <summary>Raised when the scope changes, e.g. a platform admin switches customer.</summary>
    public event Action<TenantScope>? Changed;

    /// <summary>Sets the scope explicitly: for background jobs, the command line and tests.</summary>
    public void Use(TenantScope value)
    {
        scope = value;
        Changed?.Invoke(value);
    }

    public async ValueTask<TenantScope> ResolveAsync()
    {
        if (scope is not null)
        {
            return scope;
        }

        if (authenticationStateProvider is null)
        {
            return TenantScope.None;
        }

        try
        {
            AuthenticationState state = await authenticationStateProvider.GetAuthenticationStateAsync();
            scope = TenantScope.FromPrincipal(state.User);
        }
        catch (InvalidOperationException)
        {
            // Outside a request or circuit the server provider has no state yet: nobody is signed in.
            return TenantScope.None;
        }

        return scope;
    }

    private async void OnAuthenticationStateChanged(Task<AuthenticationState> task)
    {
        TenantScope next;
        try
        {
            AuthenticationState state = await task;
            next = TenantScope.FromPrincipal(state.User);
        }
        catch (Exception)
        {
            next = TenantScope.None;
        }

        // A reconnecting circuit reports the same user again: a platform admin's switch stays as it was.
        if (signedInScope is not null && next == signedInScope)
        {
            return;
        }

        signedInScope = null;
        Use(next);
    }

    public void Dispose()
    {
        if (authenticationStateProvider is not null)
        {
            authenticationStateProvider.AuthenticationStateChanged -= OnAuthenticationStateChanged;
        }
    }
}

/// <summary>Thrown when a change would write a row that belongs to another tenant than the circuit's.</summary>
public sealed class CrossTenantWriteException(string message) : InvalidOperationException(message);
