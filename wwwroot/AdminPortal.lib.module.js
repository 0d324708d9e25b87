// Blazor's JavaScript initializer for this app (blazor.web.js loads "<assembly>.lib.module.js" before it starts).
//
// The grids' row checkboxes are plain markup (GridCells.AppendCheckBox): one "rowselect" handler on the table body
// hears them all, which keeps a 25-row page at about three render-tree frames a row. This file gives that event its
// data, and gives the markup boxes what MudCheckBox's own handlers did: Enter checks, Delete unchecks, and the focus
// stays on the box when its row is drawn again.

let registered = false;

function registerRowSelect(blazor) {
    if (registered || !blazor?.registerCustomEventType) {
        return;
    }

    registered = true;
    blazor.registerCustomEventType("rowselect", {
        browserEventName: "change",
        createEventArgs: event => {
            const box = event.target;
            const isRowBox = box instanceof HTMLInputElement && box.hasAttribute("data-row-select");
            return { id: isRowBox ? box.getAttribute("data-row-select") : null, checked: isRowBox && box.checked };
        },
    });
}

export function beforeWebStart() {
    registerRowSelect(window.Blazor);
}

export function afterWebStarted(blazor) {
    registerRowSelect(blazor);
}

// Enter and Delete on a row box, as MudCheckBox: a click changes it, so the browser sends the same change as Space.
document.addEventListener("keydown", event => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-row-select") || box.disabled) {
        return;
    }

    if ((event.key === "Enter" || event.key === "NumpadEnter") && !box.checked) {
        event.preventDefault();
        box.click();
    } else if (event.key === "Delete" && box.checked) {
        event.preventDefault();
        box.click();
    }
});

// A change redraws the row's markup, which replaces the box: put the focus back on its successor.
let refocus = null;
document.addEventListener("change", event => {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.hasAttribute("data-row-select") && document.activeElement === box) {
        refocus = { id: box.getAttribute("data-row-select"), until: Date.now() + 3000 };
    }
}, true);

new MutationObserver(() => {
    if (!refocus) {
        return;
    }

    if (Date.now() > refocus.until) {
        refocus = null;
        return;
    }

    const active = document.activeElement;
    if (active instanceof HTMLInputElement && active.hasAttribute("data-row-select") && active.isConnected) {
        return; // the box is still there, or the person has moved on to another one
    }

    const next = document.querySelector(`input[data-row-select="${CSS.escape(refocus.id)}"]`);
    if (next) {
        refocus = null;
        next.focus();
    }
}).observe(document.documentElement, { childList: true, subtree: true });
