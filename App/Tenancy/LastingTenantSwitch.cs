using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.JSInterop;

namespace AdminPortal.App.Tenancy;

/// <summary>
/// Makes a platform admin's tenant switch last: it is restored at the start of every circuit (and prerender) from the
/// address (<c>?customer=</c>, so links carry it) or else this browser's cookie (so a reload or a new tab keeps it),
/// and the address keeps the parameter while the person moves around the portal. Every value is checked again here:
/// only a platform admin acting as themselves may switch, the customer (and site) must exist, and anything else is
/// ignored with a notice. Scoped: one per circuit, driven by <see cref="TenantSwitchRestore"/>.
/// </summary>
public sealed class LastingTenantSwitch(
    TenantContext tenant,
    TenantSwitchService switcher,
    NavigationManager navigation,
    IJSRuntime js,
    ILogger<LastingTenantSwitch> logger)
{
    private string? noticePath;

    /// <summary>What was ignored or could not be restored, in one sentence; null when all went as asked.</summary>
    public string? Notice { get; private set; }

    public event Action? NoticeChanged;

    /// <summary>Set when the circuit start switched from the address: the cookie is written after the first render.</summary>
    public bool NeedsRemember { get; private set; }

    /// <summary>A platform admin acting as themselves; never while viewing as someone else.</summary>
    private bool CanSwitch => tenant.SignedIn.Role == PortalRoles.PlatformAdmin && tenant.Current.ViewAs is null;

    /// <summary>
    /// Whether this circuit hears navigations before they happen (<see cref="OnLocationChangingAsync"/>): only a platform
    /// admin's can switch, so only theirs need it. While a handler is registered the browser asks the circuit before
    /// every navigation, a round trip on the WebSocket per page turn; everyone else's refused address is corrected
    /// after the navigation (<see cref="OnLocationChanged"/>).
    /// </summary>
    public bool HearsNavigationsBeforehand => tenant.SignedIn.Role == PortalRoles.PlatformAdmin;

    /// <summary>While viewing as someone, the address is left alone: that scope is not a switch.</summary>
    private bool KeepsAddress => tenant.Current.ViewAs is null && tenant.Current.IsResolved;

    /// <summary>The parameter's value the address should carry now: the switch, or none.</summary>
    public string? AddressValue => CanSwitch ? TenantSwitchRequest.From(tenant.Current)?.QueryValue : null;

    /// <summary>
    /// At the start of a circuit or prerender: the address's switch first, else the remembered one. A switch that
    /// came from the address (a link) is audited like one made with the switcher, once, in the circuit; restoring
    /// this browser's own remembered switch is not a new switch and writes nothing.
    /// </summary>
    public async Task RestoreAsync(string? cookie, bool interactive, CancellationToken cancellationToken = default)
    {
        await tenant.ResolveAsync();
        var asked = Check(QueryValue(navigation.Uri));
        var remembered = CanSwitch ? TenantSwitchRequest.FromCookie(cookie, tenant.SignedIn.ActorUserId) : null;
        foreach (var candidate in new[] { asked, remembered }.Distinct())
        {
            if (candidate is not { } request)
            {
                continue;
            }

            try
            {
                if (interactive && request != remembered)
                {
                    await switcher.SwitchAsync(request.CustomerId, request.SiteId, cancellationToken);
                    NeedsRemember = true;
                }
                else
                {
                    await switcher.RestoreAsync(request.CustomerId, request.SiteId, cancellationToken);
                }

                return;
            }
            catch (KeyNotFoundException)
            {
                SetNotice(request == asked
                    ? "The customer in the address does not exist (or the site is not theirs): it was ignored."
                    : "The customer you were last viewing no longer exists: showing all customers.");
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A database that cannot answer must not keep the page from rendering: the wide scope is the
                // platform admin's own, and the notice says the switch was not restored.
                logger.LogWarning(exception, "Restoring the tenant switch failed");
                SetNotice("The customer you were viewing could not be restored: showing all customers.");
                return;
            }
        }
    }

    /// <summary>A switch made in the switcher or the app bar: audited, then remembered in the cookie and the address.</summary>
    /// <param name="correctAddress">
    /// False from the phone's switch dialog: MudDialogProvider closes every dialog on a location change, so putting the
    /// switch in the address at once closed the dialog under the person's finger (and left Done detached). The dialog
    /// corrects the address when it closes.
    /// </param>
    public async Task SwitchAsync(long? customerId, long? siteId, bool correctAddress = true, CancellationToken cancellationToken = default)
    {
        await switcher.SwitchAsync(customerId, siteId, cancellationToken);
        ClearNotice();
        await RememberAsync();
        if (correctAddress)
        {
            CorrectAddress(replace: true);
        }
    }

    /// <summary>Writes (or removes) this browser's cookie for the circuit's current switch.</summary>
    public async Task RememberAsync()
    {
        NeedsRemember = false;
        if (!CanSwitch || tenant.SignedIn.ActorUserId is not { } userId)
        {
            return;
        }

        string? value = TenantSwitchRequest.From(tenant.Current)?.CookieValue(userId);
        try
        {
            await js.InvokeVoidAsync("adminPortalPreferences.rememberTenant", TenantSwitchRequest.CookieName, value);
        }
        catch (JSException exception)
        {
            // The address still carries the switch; only a new tab would miss it.
            logger.LogWarning(exception, "Remembering the tenant switch in the browser failed");
        }
    }

    /// <summary>
    /// Before a navigation inside the portal: a link to another customer switches (audited) before the page loads;
    /// a link without the parameter, or with one that is not allowed, is sent on with the current switch instead.
    /// </summary>
    public async ValueTask OnLocationChangingAsync(LocationChangingContext context)
    {
        if (!KeepsAddress)
        {
            return;
        }

        string? value = QueryValue(context.TargetLocation);
        if (value == AddressValue)
        {
            return;
        }

        if (PathOf(context.TargetLocation) != noticePath)
        {
            ClearNotice();
        }

        if (!string.IsNullOrEmpty(value) && Check(value, PathOf(context.TargetLocation)) is { } request)
        {
            try
            {
                await switcher.SwitchAsync(request.CustomerId, request.SiteId, context.CancellationToken);
                await RememberAsync();
                return;
            }
            catch (KeyNotFoundException)
            {
                SetNotice("The customer in the address does not exist (or the site is not theirs): it was ignored.", PathOf(context.TargetLocation));
            }
        }

        // A link click can be redirected before it happens; the back button and code-driven navigations are
        // corrected once they have happened (see OnLocationChanged).
        if (context.IsNavigationIntercepted)
        {
            context.PreventNavigation();
            navigation.NavigateTo(WithAddressValue(context.TargetLocation));
        }
    }

    public void OnLocationChanged(object? sender, LocationChangedEventArgs e)
    {
        if (PathOf(e.Location) != noticePath)
        {
            ClearNotice();
        }

        // Nobody heard this navigation beforehand: a customer in the address that this person may not choose gets its
        // notice now, and CorrectAddress takes it out of the address.
        if (!HearsNavigationsBeforehand && KeepsAddress && QueryValue(e.Location) != AddressValue)
        {
            Check(QueryValue(e.Location), PathOf(e.Location));
        }

        CorrectAddress(replace: true);
    }

    /// <summary>Puts the current switch in the address if it is not there (or takes a refused one out).</summary>
    public void CorrectAddress(bool replace)
    {
        if (KeepsAddress && QueryValue(navigation.Uri) != AddressValue)
        {
            navigation.NavigateTo(WithAddressValue(navigation.Uri), replace: replace);
        }
    }

    public void ClearNotice()
    {
        if (Notice is not null)
        {
            Notice = null;
            noticePath = null;
            NoticeChanged?.Invoke();
        }
    }

    /// <summary>The address's request if this person may make it; otherwise null, with a notice when it was refused.</summary>
    private TenantSwitchRequest? Check(string? value, string? path = null)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        bool parsed = TenantSwitchRequest.TryParse(value, out var request);
        if (!CanSwitch)
        {
            // A customer admin's own customer in the address is harmless; any other value is refused, never obeyed.
            if (!parsed || request.CustomerId != tenant.Current.CustomerId)
            {
                SetNotice($"Only a platform admin can switch customer: the customer in the address was ignored. You are seeing {tenant.Current.Label}.", path);
            }

            return null;
        }

        if (!parsed)
        {
            SetNotice("The customer in the address is not valid and was ignored.", path);
            return null;
        }

        return request;
    }

    private void SetNotice(string notice, string? path = null)
    {
        Notice = notice;
        noticePath = path ?? PathOf(navigation.Uri);
        NoticeChanged?.Invoke();
    }

    private string WithAddressValue(string uri) =>
        navigation.GetUriWithQueryParameters(navigation.ToAbsoluteUri(uri).ToString(),
            new Dictionary<string, object?> { [TenantSwitchRequest.QueryParameter] = AddressValue });

    private string PathOf(string uri) => navigation.ToAbsoluteUri(uri).AbsolutePath;

    private string? QueryValue(string uri)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(navigation.ToAbsoluteUri(uri).Query);
        // Repeated parameters are a tampered address: take none of them, so the notice says it was ignored.
        return query.TryGetValue(TenantSwitchRequest.QueryParameter, out var values) ? values.Count == 1 ? values[0] : "" + string.Join(",", values.ToArray()) : null;
    }
}
