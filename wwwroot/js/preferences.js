// This browser's preferences that the server needs at its first render, kept in cookies (a plain script like focus.js).
// They grant nothing: the server checks each against the signed-in claims (App/Tenancy/LastingTenantSwitch.cs).
window.adminPortalPreferences = {
    // A platform admin's tenant switch, for reloads and new tabs; null forgets it. 30 days, this site only.
    rememberTenant(name, value) {
        const secure = location.protocol === "https:" ? "; secure" : "";
        document.cookie = value
            ? `${name}=${value}; path=/; max-age=2592000; samesite=strict${secure}`
            : `${name}=; path=/; max-age=0; samesite=strict${secure}`;
    },
};

// The browser's time zone, for times shown in it (App/Components/Shared/ViewerTimeZone.cs). Written on every page
// load, before the circuit starts, so the next request's prerender has it too.
(() => {
    let zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { }
    const secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = `portal_tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax${secure}`;
})();

// Signing out leaves through the provider's sign-out (several redirects), while this page's circuit still runs. If its
// session check notices the ended session meanwhile, it must not send the page to "session ended": that would cut the
// provider's sign-out short and say the wrong thing. App/Components/Shared/RedirectToSignIn.razor asks here first.
(() => {
    let signingOut = false;
    document.addEventListener("submit", event => {
        if (event.target instanceof HTMLFormElement && event.target.getAttribute("action") === "/signout") {
            signingOut = true;
        }
    }, true);
    window.adminPortalPreferences.leaveForSignIn = url => {
        if (!signingOut) {
            location.assign(url);
        }
    };
})();
