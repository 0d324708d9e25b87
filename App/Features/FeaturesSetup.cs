using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Reports;

namespace AdminPortal.App.Features;

public static class FeaturesSetup
{
    /// <summary>One line per feature service.</summary>
    public static WebApplicationBuilder AddFeatures(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<DashboardService>();
        builder.Services.AddScoped<RoleDashboardService>();
        builder.Services.AddScoped<Users.UserService>();
        builder.Services.AddScoped<Users.UserSupportService>();
        builder.Services.AddScoped<Invitations.InvitationService>();
        builder.Services.AddScoped<Users.UserBulkService>();
        builder.Services.AddScoped<Posts.PostLifecycleService>();
        builder.Services.AddScoped<Posts.PostQueries>();
        builder.Services.AddScoped<Posts.PostBulkService>();
        builder.Services.AddScoped<Audit.AuditService>();
        builder.Services.AddScoped<Customers.TenantAdminService>();
        builder.Services.AddScoped<Customers.CustomerDomainService>();
        builder.Services.AddSingleton<Posts.ScheduledPostPublisher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Posts.ScheduledPostPublisher>());
        builder.Services.AddSingleton<Users.UserSyncNotifier>();
        // Provider authorities are typed by customer admins: the sync goes through the same network policy as sign-in.
        builder.Services.AddHttpClient(nameof(Users.DiscoveryDocumentSyncTarget), client => client.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(services => services.GetRequiredService<IdentityProviders.ProviderNetworkPolicy>().CreateHandler());
        builder.Services.AddSingleton<Users.ISyncTarget, Users.DiscoveryDocumentSyncTarget>();
        Users.UserSyncSettings.From(builder.Configuration); // a bad Sync:* value stops the start-up here, with what is allowed
        builder.Services.AddSingleton<Users.UserSyncWorker>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Users.UserSyncWorker>());
        builder.Services.AddScoped<AdminPortal.App.Tenancy.TenantSwitchService>();
        builder.Services.AddScoped<AdminPortal.App.Tenancy.LastingTenantSwitch>();
        builder.Services.AddScoped<People.RoleService>();
        builder.Services.AddScoped<Sessions.SessionListService>();
        builder.Services.AddScoped<ViewAs.ViewAsService>();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, ViewAs.ViewAsCircuitHandler>();
        builder.Services.AddScoped<Jobs.JobService>();
        builder.Services.AddScoped<Jobs.SyncQueueService>();
        builder.Services.AddHostedService<Jobs.JobWorker>();
        builder.Services.AddReports();
        builder.AddBenchmarkServices(); // only with Diagnostics:BenchmarkEndpoints=true (./bench.sh circuits)
        return builder;
    }
}
