using Microsoft.AspNetCore.Components.Server.Circuits;

namespace AdminPortal.App.Features.ViewAs;

/// <summary>A closed circuit (tab closed, reloaded, or gone past the reconnection window) ends its view-as, audited.</summary>
public sealed class ViewAsCircuitHandler(ViewAsService viewAs) : CircuitHandler
{
    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken) =>
        viewAs.EndAsync(ViewAsEndReason.CircuitClosed);
}
