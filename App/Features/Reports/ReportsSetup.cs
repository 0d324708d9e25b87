using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AdminPortal.App.Features.Reports;

public static class ReportsSetup
{
    /// <summary>The report snapshots: the pages' reader, the one refresher, and (with the host) the background refresh.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services, bool background = true)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddScoped<Dashboard.DashboardService>();
        services.TryAddScoped<Users.UserService>();
        services.AddSingleton<ReportRefresher>();
        services.AddScoped<ReportService>();
        if (background)
        {
            services.AddSingleton<ReportBackgroundRefresh>();
            services.AddHostedService(provider => provider.GetRequiredService<ReportBackgroundRefresh>());
        }

        return services;
    }
}
