// The confirmation dialog's first focus (App/Components/Shared/ConfirmDialog.razor); a plain script like focus.js.
window.adminPortalConfirmFocus = {
    // Focuses the open confirmation's safe choice (Cancel). MudBlazor's focus trap moves focus to itself once the
    // dialog has rendered, after the dialog's own code has run: keep the focus on Cancel until the dialog settles,
    // unless the person has already moved to another control in it.
    focusSafeChoice() {
        const started = Date.now();
        let steady = 0, stopped = false;
        // The person's first key press inside the dialog (Tab to the other button, say) ends the watch.
        document.addEventListener("keydown", () => { stopped = true; }, { once: true, capture: true });
        const attempt = () => {
            if (stopped) {
                return;
            }

            const choices = document.querySelectorAll("[data-confirm=cancel]");
            const choice = choices[choices.length - 1];
            if (Date.now() - started > 2000) {
                return;
            }

            if (!choice) {
                setTimeout(attempt, 30);
                return;
            }

            const active = document.activeElement;
            const dialog = choice.closest(".mud-dialog");
            if (active && active !== choice && dialog && dialog.contains(active) && active.matches("button, a[href], input, select, textarea")) {
                return;
            }

            if (active !== choice) {
                choice.focus();
                steady = 0;
            } else if (++steady >= 10) {
                return;
            }

            setTimeout(attempt, 30);
        };
        attempt();
    },

    // Returns focus to the dialog's trigger. The page usually disables it while the confirmed action runs (which
    // drops focus to <body>), so keep trying until it is enabled again, for as long as nobody focused elsewhere.,
};
