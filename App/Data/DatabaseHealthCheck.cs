using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AdminPortal.App.Data;

/// <summary>
/// Readiness: the database answers within <see cref="DatabaseOptions.AvailabilityProbeTimeout"/> and has every
/// migration applied. The round trip runs outside EF's retry strategy (which once made /health hang for a minute during
/// an outage and then say Healthy), and the whole check is bounded by its registration's timeout too.
/// </summary>
public sealed class DatabaseHealthCheck(IServiceScopeFactory scopes, DatabaseAvailability availability) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (await availability.ProbeAsync(cancellationToken) is { } failure)
        {
            // The banner should not wait for the next scheduled probe when a monitor already saw the outage.
            availability.ReportFailure(failure);
            return HealthCheckResult.Unhealthy("The database does not answer.", failure);
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("health"));
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            return pending == 0
                ? HealthCheckResult.Healthy("The database answers and is up to date.")
                : HealthCheckResult.Unhealthy($"The database is missing {pending} migration(s).");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The database check failed.", exception);
        }
    }
}
