using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AdminPortal.App.Features.IdentityProviders;

public static class IdentityProvidersSetup
{
    /// <summary>
    /// The identity providers area: its service and connection test, and the sign-in schemes its rows become at run
    /// time. Needs authentication, <see cref="Auth.SignInProviders"/> and the portal's data services.
    /// </summary>
    public static IServiceCollection AddIdentityProviders(this IServiceCollection services)
    {
        // Registered with its contents by AuthSetup.AddIdentity; on its own (tests, tools), an empty one.
        services.TryAddSingleton<Auth.ConfiguredProviders>();
        services.AddSingleton<ProviderSchemeDefinitions>();
        services.AddSingleton<IConfigureOptions<OpenIdConnectOptions>>(sp => sp.GetRequiredService<ProviderSchemeDefinitions>());
        // Registered by AddOpenIdConnect too; a portal configured with no OIDC provider at start-up still needs it.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        // The middleware asks one dispatcher about callbacks instead of every provider's scheme on every request.
        services.Replace(ServiceDescriptor.Singleton<IAuthenticationSchemeProvider, PortalAuthenticationSchemeProvider>());
        services.AddTransient<ProviderCallbackDispatcher>();
        services.Configure<AuthenticationOptions>(options => options.AddScheme(ProviderCallbackDispatcher.Scheme, scheme => scheme.HandlerType = typeof(ProviderCallbackDispatcher)));
        services.AddSingleton<ProviderSchemes>();
        services.AddHostedService(sp => sp.GetRequiredService<ProviderSchemes>());

        services.AddSingleton<ProviderNetworkPolicy>();
        services.AddHttpClient(ProviderConnectionTester.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<ProviderNetworkPolicy>().CreateHandler());
        services.AddSingleton<ProviderConnectionTester>();
        services.AddScoped<IdentityProviderService>();
        return services;
    }
}
