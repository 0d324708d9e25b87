using AdminPortal.App.Features.Dashboard;

namespace AdminPortal.App.Features;

public static class FeaturesSetup
{
    /// <summary>One line per feature service.</summary>
    public static WebApplicationBuilder AddFeatures(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<DashboardService>();
        builder.Services.AddScoped<AdminPortal.App.Tenancy.TenantSwitchService>();
        return builder;
    }
}
