using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AdminPortal.App.Data;

/// <summary>
/// Liveness and readiness, as orchestrators expect them:
/// <list type="bullet">
/// <item><c>/health/live</c>: the process answers. No check runs, so a database outage never gets the portal restarted.</item>
/// <item><c>/health/ready</c>: the database answers within a few seconds and is fully migrated (checks tagged "ready").</item>
/// <item><c>/health</c>: the same as ready, as it always meant "the database answers and is up to date", so existing
/// monitors keep their meaning.</item>
/// </list>
/// Each answers 200 (Healthy or Degraded) or 503 (Unhealthy) with the status as plain text; Degraded (a configured
/// identity provider left out) adds one line per reason, so that whoever looks at the monitor sees what to fix.
/// </summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>A check is cut off after this, whatever it is waiting on, and reported Unhealthy.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static IServiceCollection AddPortalHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", HealthStatus.Unhealthy, [ReadyTag], CheckTimeout);
        return services;
    }

    /// <summary>Maps all three under one group, so that a policy (rate limiting, say) applies to them in one place.</summary>
    public static RouteGroupBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/health");
        var ready = new HealthCheckOptions { Predicate = registration => registration.Tags.Contains(ReadyTag), ResponseWriter = WriteStatusAsync };
        group.MapHealthChecks("", ready);
        group.MapHealthChecks("/ready", ready);
        group.MapHealthChecks("/live", new HealthCheckOptions { Predicate = _ => false });
        group.AllowAnonymous();
        return group;
    }

    /// <summary>The status; for Degraded, then each degraded check's description (configuration problems, never secrets).</summary>
    private static Task WriteStatusAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = new System.Text.StringBuilder(report.Status.ToString());
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status == HealthStatus.Degraded))
        {
            text.Append('\n').Append(name).Append(": ").Append(entry.Description);
        }

        return context.Response.WriteAsync(text.ToString());
    }
}
