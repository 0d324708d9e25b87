using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace AdminPortal.Benchmarks;

/// <summary>
/// What identity providers added in the portal cost every request: the authentication middleware asks each remote
/// scheme whether the request is its callback. Measured as the middleware does it, per request, with N providers:
/// the portal's dispatcher against the baseline of asking every scheme (stock ASP.NET), in the same run.
/// </summary>
public static class ProviderSchemesBenchmark
{
    private const int RequestsPerRun = 1_000;

    public static async Task RunAsync(DatabaseOptions options, int[] counts)
    {
        var services = new ServiceCollection().AddLogging().AddPortalData(options).AddSingleton(TimeProvider.System)
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = Environments.Production });
        services.AddAuthentication(AuthSetup.CookieScheme).AddCookie(AuthSetup.CookieScheme);
        services.AddSingleton(new SignInProviders());
        services.AddIdentityProviders();
        await using var provider = services.BuildServiceProvider();
        var schemes = provider.GetRequiredService<ProviderSchemes>();

        var schemeProvider = provider.GetRequiredService<IAuthenticationSchemeProvider>();
        // Stock ASP.NET asks every scheme whose handler handles requests; the portal's scheme provider hides the
        // ciam-* ones behind one dispatcher.
        Func<Task<IEnumerable<AuthenticationScheme>>> stock = async () =>
            (await schemeProvider.GetAllSchemesAsync()).Where(s => typeof(IAuthenticationRequestHandler).IsAssignableFrom(s.HandlerType));
        Func<Task<IEnumerable<AuthenticationScheme>>> portal = schemeProvider.GetRequestHandlerSchemesAsync;

        Console.WriteLine($"Authentication middleware's callback check, per request, median of {Measure.Rounds} runs of {RequestsPerRun:N0} requests:");
        int added = 0;
        foreach (int count in counts)
        {
            await using (var scope = provider.CreateAsyncScope())
            {
                scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("benchmark"));
                await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
                for (; added < count; added++)
                {
                    db.CiamSystems.Add(new CiamSystem { Name = $"Provider {added}", Authority = $"https://sso{added}.example.com", ClientId = "portal" });
                }

                await db.SaveChangesAsync();
            }

            await schemes.RefreshAsync();
            double baseline = await Measure.MedianAsync(() => RequestsAsync(provider, stock)) / RequestsPerRun;
            double dispatched = await Measure.MedianAsync(() => RequestsAsync(provider, portal)) / RequestsPerRun;
            Console.WriteLine($"  {count,5} runtime providers: dispatcher {dispatched * 1000,8:F1} µs   baseline (every scheme asked) {baseline * 1000,8:F1} µs   ratio {baseline / dispatched,6:F1}x");
        }
    }

    /// <summary>What AuthenticationMiddleware does before any endpoint runs: each remote scheme's handler checks the path.</summary>
    private static async Task<int> RequestsAsync(IServiceProvider provider, Func<Task<IEnumerable<AuthenticationScheme>>> requestHandlerSchemes)
    {
        int handled = 0;
        for (int i = 0; i < RequestsPerRun; i++)
        {
            await using var scope = provider.CreateAsyncScope();
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            context.Request.Path = "/users";
            var handlers = scope.ServiceProvider.GetRequiredService<IAuthenticationHandlerProvider>();
            foreach (var scheme in await requestHandlerSchemes())
            {
                if (await handlers.GetHandlerAsync(context, scheme.Name) is IAuthenticationRequestHandler handler && await handler.HandleRequestAsync())
                {
                    handled++;
                }
            }
        }

        return handled;
    }
}
