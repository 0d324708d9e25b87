using System.Diagnostics.Metrics;

namespace AdminPortal.App.Observability;

/// <summary>
/// The portal's own meter, <c>AdminPortal</c>: open circuits, sign-ins and refusals, sync outcomes. Created through
/// <see cref="IMeterFactory"/>, so each host (and each test host) has its own instruments.
/// </summary>
public sealed class PortalMetrics
{
    public const string MeterName = "AdminPortal";

    private readonly UpDownCounter<long> circuitsOpen;
    private readonly Counter<long> signIns;
    private readonly Counter<long> signInRefusals;
    private readonly Counter<long> syncedUsers;

    public PortalMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        circuitsOpen = meter.CreateUpDownCounter<long>("adminportal.circuits.open", "{circuit}", "Blazor circuits open on this instance");
        signIns = meter.CreateCounter<long>("adminportal.sign_ins", "{sign_in}", "Sign-ins the portal accepted");
        signInRefusals = meter.CreateCounter<long>("adminportal.sign_in_refusals", "{sign_in}", "Sign-ins the portal refused, by reason");
        syncedUsers = meter.CreateCounter<long>("adminportal.sync.users", "{user}", "Users the sync worker processed, by outcome (synced, failed, retried)");
    }

    public void CircuitOpened() => circuitsOpen.Add(1);

    public void CircuitClosed() => circuitsOpen.Add(-1);

    public void SignIn(string scheme) => signIns.Add(1, new KeyValuePair<string, object?>("scheme", scheme));

    // The reason is an enum name, never anything the person typed: the tag's values stay few.
    public void SignInRefused(string scheme, string reason) =>
        signInRefusals.Add(1, new KeyValuePair<string, object?>("scheme", scheme), new KeyValuePair<string, object?>("reason", reason));

    public void Synced(string outcome, int users) => syncedUsers.Add(users, new KeyValuePair<string, object?>("outcome", outcome));
}
