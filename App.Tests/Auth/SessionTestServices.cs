using AdminPortal.App.Auth;
using AdminPortal.App.Features.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Auth;

/// <summary>The session check as the app wires it, over a test database's services.</summary>
internal static class SessionTestServices
{
    public static SessionValidator Validator(IServiceProvider services, UserAccessService access, PortalSessionService? sessions = null, TimeSpan? timeout = null) =>
        new(access,
            sessions ?? new PortalSessionService(services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System),
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:SessionCheckTimeout"] = (timeout ?? TimeSpan.FromSeconds(5)).ToString() }).Build(),
            TimeProvider.System,
            NullLogger<SessionValidator>.Instance);
}
