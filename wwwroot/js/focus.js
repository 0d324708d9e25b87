// Keyboard focus helpers, loaded on every page (App.razor). A plain script, not a module: a dialog must be able to ask
// for its trigger's focus back in the same round trip that closes it.
(() => {
    const dialogSelector = ".mud-dialog-container, .mud-popover, .mud-overlay";
    let lastOutside = null;

    // The last element focused outside dialogs and popovers: whatever opened the dialog that is now open.
    document.addEventListener("focusin", event => {
        if (event.target instanceof HTMLElement && !event.target.closest(dialogSelector)) {
            lastOutside = event.target;
        }
    }, true);

    // "Skip to main content": Blazor's <base href="/"> would turn "#main-content" into a navigation to the dashboard.
    window.addEventListener("click", event => {
        const link = event.target instanceof Element ? event.target.closest("a[data-skip-link]") : null;
        if (!link) {
            return;
        }

        event.preventDefault();
        event.stopPropagation();
        const main = document.getElementById(link.getAttribute("href").slice(1));
        if (main) {
            main.focus();
            main.scrollIntoView();
        }
    }, true);

    window.adminPortalFocus = {
        // After an in-portal navigation, the new page's heading (FocusHeadingOnNavigate): a screen reader announces it.
        heading(selector) {
            const heading = document.querySelector(selector);
            if (heading) {
                if (!heading.hasAttribute("tabindex")) {
                    heading.tabIndex = -1;
                }

                heading.focus({ preventScroll: true });
            }
        },

        // Returns focus to the dialog's trigger. The page usually disables it while the confirmed action runs (which
        // drops focus to <body>), so keep trying until it is enabled again, for as long as nobody focused elsewhere.
        restore() {
            const trigger = lastOutside;
            if (!trigger) {
                return;
            }

            const started = Date.now();
            // A dialog opened after this one closed (the same trigger, pressed again) owns the focus from then on.
            const earlier = new Set(document.querySelectorAll(".mud-dialog-container"));
            const attempt = () => {
                const active = document.activeElement;
                const box = active ? active.closest(".mud-dialog-container") : null;
                if (box && !earlier.has(box)) {
                    return;
                }

                const userMovedOn = active && active !== document.body && active !== trigger && !active.closest(dialogSelector);
                if (!trigger.isConnected || userMovedOn || Date.now() - started > 5000) {
                    return;
                }

                if (!trigger.disabled && active !== trigger) {
                    trigger.focus();
                }

                setTimeout(attempt, 50);
            };
            setTimeout(attempt, 0);
        },
    };
})();
