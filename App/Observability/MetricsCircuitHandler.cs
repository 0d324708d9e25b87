using Microsoft.AspNetCore.Components.Server.Circuits;

namespace AdminPortal.App.Observability;

/// <summary>Counts open circuits (adminportal.circuits.open): up when one opens, down when it closes.</summary>
public sealed class MetricsCircuitHandler(PortalMetrics metrics) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitOpened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitClosed();
        return Task.CompletedTask;
    }
}
