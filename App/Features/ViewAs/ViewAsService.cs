using System.Security.Claims;
using System.Text.Json;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.ViewAs;

public enum ViewAsEndReason
{
    /// <summary>The viewer pressed Stop.</summary>
    Stopped,
    /// <summary><c>ViewAs:MaxDuration</c> passed.</summary>
    Expired,
    /// <summary>The circuit ended: the tab was closed or reloaded, or the connection did not come back.</summary>
    CircuitClosed,
    /// <summary>The viewer's own session ended (signed out elsewhere, revoked, locked) while viewing as.</summary>
    SessionEnded,
}

/// <summary>Why a view-as cannot start.</summary>
public enum ViewAsRefusal
{
    /// <summary>No such user in the viewer's tenant: a tampered or foreign id looks exactly like a missing one.</summary>
    NotFound,
    NotAllowed,
    Self,
    NoPortalRole,
    PlatformAdmin,
    Inactive,
    AlreadyViewing,
}

/// <summary>The person the viewer sees the portal as, as the database said when view-as started.</summary>
public sealed record ViewAsTarget(long UserId, string Name, string Email, PortalRole Role, long CustomerId, long SiteId, string CustomerName);

/// <summary>One view-as in a circuit: who, as whom, until when, and where Stop goes back to.</summary>
public sealed record ViewAsSession(ViewAsViewer Viewer, ViewAsTarget Target, DateTime StartedAt, DateTime EndsAt, string ReturnUrl);

/// <summary>Whether a view-as may start; <see cref="Message"/> says why not, in a sentence for the page.</summary>
public sealed record ViewAsCheck(ViewAsRefusal? Refusal, string? Message)
{
    public static readonly ViewAsCheck Allowed = new(null, null);

    public bool IsAllowed => Refusal is null;

    public static ViewAsCheck Refused(ViewAsRefusal refusal) => new(refusal, refusal switch
    {
        ViewAsRefusal.NotFound => "This user does not exist, or is not one of yours.",
        ViewAsRefusal.NotAllowed => "Only support staff and admins can view the portal as someone else.",
        ViewAsRefusal.Self => "This is you: there is nothing to view as.",
        ViewAsRefusal.NoPortalRole => "This user has no portal role, so the portal shows them nothing.",
        ViewAsRefusal.PlatformAdmin => "Nobody views the portal as a platform admin.",
        ViewAsRefusal.Inactive => "This user cannot sign in (inactive, locked, or their customer is inactive).",
        _ => "Stop the current view-as first.",
    });
}

/// <summary>
/// Read-only "view as" for one circuit: a support user or admin sees the portal as one portal user of their own
/// tenant (a platform admin: of any customer) sees it, for at most <c>ViewAs:MaxDuration</c>.
/// </summary>
/// <remarks>
/// <para>The state lives in this circuit only (scoped service): a reload or a new tab is a new circuit, and starts as
/// the viewer. Nothing is stored server-side but the audit entries <c>view_as_started</c> and <c>view_as_ended</c>,
/// which are written from the viewer's own scope, never from the read-only one.</para>
/// <para>While active, the circuit's authentication state is a <see cref="ViewAsPrincipal"/>: the target's claims plus
/// the viewer's role, so that policies give the intersection (<see cref="ViewAsAuthorization"/>), and
/// <see cref="TenantContext"/> follows it to the target's scope marked <see cref="TenantScope.ViewAs"/>, which
/// <see cref="PortalDbContext"/> refuses to write with (<see cref="ReadOnlyViewGuard"/>).</para>
/// <para>The target is re-read from the database by id, in the viewer's own tenant scope, on every start: an id from
/// the URL is never trusted.</para>
/// </remarks>
public sealed class ViewAsService : IAsyncDisposable, IDisposable
{
    public const string MaxDurationSetting = "ViewAs:MaxDuration";
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromMinutes(15);

    private readonly AuthenticationStateProvider authentication;
    private readonly TenantContext tenant;
    private readonly IServiceScopeFactory scopes;
    private readonly TimeProvider clock;
    private readonly ILogger<ViewAsService> logger;
    private readonly Lock gate = new();
    private ViewAsSession? current;
    private ViewAsPrincipal? principal;
    private TenantScope? scopeBefore;
    private ITimer? timer;
    private int starting;

    public ViewAsService(AuthenticationStateProvider authentication, TenantContext tenant, IServiceScopeFactory scopes, TimeProvider clock, ILogger<ViewAsService> logger, IConfiguration? configuration = null)
    {
        this.authentication = authentication;
        this.tenant = tenant;
        this.scopes = scopes;
        this.clock = clock;
        this.logger = logger;
        var configured = configuration?.GetValue(MaxDurationSetting, DefaultMaxDuration) ?? DefaultMaxDuration;
        MaxDuration = configured > TimeSpan.Zero ? configured : DefaultMaxDuration;
        authentication.AuthenticationStateChanged += OnAuthenticationStateChanged;
    }

    public TimeSpan MaxDuration { get; }

    /// <summary>The view-as in progress, or null.</summary>
    public ViewAsSession? Current => current;

    public bool IsActive => current is not null;

    /// <summary>How the last view-as of this circuit ended, for the page to say so.</summary>
    public (ViewAsSession Session, ViewAsEndReason Reason)? LastEnded { get; private set; }

    /// <summary>Raised when a view-as starts or ends (from any thread: handlers use InvokeAsync).</summary>
    public event Action? Changed;

    /// <summary>Whether the signed-in user may view as <paramref name="targetUserId"/> now (for the button).</summary>
    public async Task<ViewAsCheck> CheckAsync(long targetUserId, CancellationToken cancellationToken = default) =>
        (await ResolveAsync(targetUserId, cancellationToken)).Check;

    /// <summary>Starts viewing as <paramref name="targetUserId"/>, audited; refused (with the reason) unless every rule holds.</summary>
    /// <param name="returnUrl">Where Stop goes back to (a local path).</param>
    public async Task<ViewAsCheck> StartAsync(long targetUserId, string returnUrl, CancellationToken cancellationToken = default)
    {
        // Two clicks in a row must not start two view-as with two audit entries.
        if (Interlocked.Exchange(ref starting, 1) == 1)
        {
            return ViewAsCheck.Refused(ViewAsRefusal.AlreadyViewing);
        }

        try
        {
            var (check, viewer, target) = await ResolveAsync(targetUserId, cancellationToken);
            if (!check.IsAllowed)
            {
                return check;
            }

            var viewerScope = TenantScope.FromPrincipal(viewer);
            DateTime startedAt = clock.GetUtcNow().UtcDateTime;
            var session = new ViewAsSession(new ViewAsViewer(viewerScope.ActorUserId!.Value, viewerScope.Actor, viewerScope.Role!), target!, startedAt, startedAt + MaxDuration, returnUrl);

            // Audited before it starts: a view-as without its record never happens.
            await WriteAuditAsync(viewerScope, AuditActions.ViewAsStarted, target!, new Dictionary<string, object?>
            {
                ["viewer_role"] = viewerScope.Role,
                ["target"] = target!.Name,
                ["target_role"] = target.Role.ToString(),
                ["customer_id"] = target.CustomerId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ends_at"] = session.EndsAt,
            }, cancellationToken);

            var overlay = ViewAsAuthorization.Create(viewer!, target);
            lock (gate)
            {
                current = session;
                principal = overlay;
                scopeBefore = tenant.Current;
                LastEnded = null;
                timer = clock.CreateTimer(_ => _ = EndQuietlyAsync(ViewAsEndReason.Expired), null, MaxDuration, Timeout.InfiniteTimeSpan);
            }

            SetAuthenticationState(overlay);
            Changed?.Invoke();
            return ViewAsCheck.Allowed;
        }
        finally
        {
            Interlocked.Exchange(ref starting, 0);
        }
    }

    /// <summary>Ends the view-as (Stop): the circuit is the viewer's again, and <c>view_as_ended</c> is written.</summary>
    public Task StopAsync() => EndAsync(ViewAsEndReason.Stopped);

    /// <summary>Ends the view-as for <paramref name="reason"/>; nothing when none is active. Safe from any thread, once.</summary>
    public async Task EndAsync(ViewAsEndReason reason)
    {
        ViewAsSession? ending;
        ViewAsPrincipal? overlay;
        TenantScope? before;
        lock (gate)
        {
            if (current is null || principal is null)
            {
                return;
            }

            (ending, overlay, before) = (current, principal, scopeBefore);
            (current, principal, scopeBefore) = (null, null, null);
            timer?.Dispose();
            timer = null;
            LastEnded = (ending, reason);
        }

        // A closed circuit has no one to restore for; an ended session has already made the circuit anonymous.
        if (reason is ViewAsEndReason.Stopped or ViewAsEndReason.Expired)
        {
            SetAuthenticationState(overlay.Viewer);
            // A platform admin who had narrowed the portal to one customer gets that narrowing back.
            if (before is { AllCustomers: false, CustomerId: { } customerId } && tenant.SignedIn.Role == PortalRoles.PlatformAdmin)
            {
                tenant.SwitchTo(customerId, before.SiteId, before.Label);
            }
        }

        Changed?.Invoke();
        var duration = clock.GetUtcNow().UtcDateTime - ending.StartedAt;
        await WriteAuditAsync(TenantScope.FromPrincipal(overlay.Viewer), AuditActions.ViewAsEnded, ending.Target, new Dictionary<string, object?>
        {
            ["reason"] = ReasonName(reason),
            ["target"] = ending.Target.Name,
            ["duration_seconds"] = (long)Math.Max(0, duration.TotalSeconds),
        }, CancellationToken.None);
    }

    public static string ReasonName(ViewAsEndReason reason) => reason switch
    {
        ViewAsEndReason.Stopped => "stopped",
        ViewAsEndReason.Expired => "expired",
        ViewAsEndReason.CircuitClosed => "circuit_closed",
        _ => "session_ended",
    };

    private async Task EndQuietlyAsync(ViewAsEndReason reason)
    {
        try
        {
            await EndAsync(reason);
        }
        catch (Exception exception)
        {
            // The view-as has ended either way; only its closing audit entry is missing, and the log says so.
            logger.LogError(exception, "Writing view_as_ended ({Reason}) failed.", ReasonName(reason));
        }
    }

    private async Task<(ViewAsCheck Check, ClaimsPrincipal? Viewer, ViewAsTarget? Target)> ResolveAsync(long targetUserId, CancellationToken cancellationToken)
    {
        var state = await authentication.GetAuthenticationStateAsync();
        if (state.User is ViewAsPrincipal || current is not null)
        {
            return (ViewAsCheck.Refused(ViewAsRefusal.AlreadyViewing), null, null);
        }

        // The viewer's own, unswitched scope: a platform admin sees every customer's users here.
        var viewer = state.User;
        var viewerScope = TenantScope.FromPrincipal(viewer);
        if (viewerScope.Role is not (PortalRoles.PlatformAdmin or PortalRoles.CustomerAdmin or PortalRoles.Support) || viewerScope.ActorUserId is null || !viewerScope.IsResolved)
        {
            return (ViewAsCheck.Refused(ViewAsRefusal.NotAllowed), null, null);
        }

        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(viewerScope);
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        var row = await db.Users.AsNoTracking()
            .Where(u => u.Id == targetUserId)
            .Select(u => new { u.Id, u.DisplayName, u.Email, u.PortalRole, u.CustomerId, u.SiteId, CustomerName = u.Customer!.Name, u.IsActive, u.IsLocked, CustomerActive = u.Customer.IsActive })
            .FirstOrDefaultAsync(cancellationToken);
        ViewAsRefusal? refusal = row switch
        {
            null => ViewAsRefusal.NotFound,
            _ when row.Id == viewerScope.ActorUserId => ViewAsRefusal.Self,
            { PortalRole: null } => ViewAsRefusal.NoPortalRole,
            // A platform admin sees everything already, and nobody else may see as much.
            { PortalRole: PortalRole.PlatformAdmin } => ViewAsRefusal.PlatformAdmin,
            _ when !row.IsActive || row.IsLocked || !row.CustomerActive => ViewAsRefusal.Inactive,
            _ => null,
        };
        if (refusal is { } refused)
        {
            return (ViewAsCheck.Refused(refused), null, null);
        }

        return (ViewAsCheck.Allowed, viewer, new ViewAsTarget(row!.Id, row.DisplayName, row.Email, row.PortalRole!.Value, row.CustomerId, row.SiteId, row.CustomerName));
    }

    private async Task WriteAuditAsync(TenantScope viewerScope, string action, ViewAsTarget target, Dictionary<string, object?> changes, CancellationToken cancellationToken)
    {
        // The viewer's own scope, in a DI scope of its own: the circuit's read-only scope would refuse this save.
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(viewerScope with { ViewAs = null });
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        db.AuditLog.Add(new AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            Actor = viewerScope.Actor,
            ActorUserId = viewerScope.ActorUserId,
            CustomerId = target.CustomerId,
            EntityType = "User",
            EntityId = target.UserId,
            EntityLabel = AuditLabels.Clip(AuditLabels.Person(target.Name, target.Email)),
            Action = action,
            Changes = JsonSerializer.Serialize(changes.ToDictionary(c => c.Key, c => new { old = (object?)null, @new = c.Value })),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    private void SetAuthenticationState(ClaimsPrincipal user)
    {
        if (authentication is IHostEnvironmentAuthenticationStateProvider host)
        {
            host.SetAuthenticationState(Task.FromResult(new AuthenticationState(user)));
        }
    }

    private async void OnAuthenticationStateChanged(Task<AuthenticationState> task)
    {
        try
        {
            var state = await task;
            // Anything but our own principal replacing it while active: the viewer's session ended (revalidation).
            if (current is not null && state.User is not ViewAsPrincipal)
            {
                await EndAsync(ViewAsEndReason.SessionEnded);
            }
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Ending a view-as after the authentication state changed failed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        authentication.AuthenticationStateChanged -= OnAuthenticationStateChanged;
        await EndQuietlyAsync(ViewAsEndReason.CircuitClosed);
    }

    // Scopes disposed synchronously (some hosts and tests) still end an active view-as and record it.
    public void Dispose()
    {
        authentication.AuthenticationStateChanged -= OnAuthenticationStateChanged;
        _ = EndQuietlyAsync(ViewAsEndReason.CircuitClosed);
    }
}
