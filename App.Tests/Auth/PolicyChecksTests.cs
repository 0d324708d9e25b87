using System.Security.Claims;
using AdminPortal.App.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace AdminPortal.Tests.Auth;

/// <summary>PolicyChecks asks the authorization service once per authentication state, and nothing passes before it has asked.</summary>
public class PolicyChecksTests
{
    private sealed class CountingAuthorization(params string[] passing) : IAuthorizationService
    {
        public int Calls { get; private set; }

        public Task<AuthorizationResult> AuthorizeAsync(ClaimsPrincipal user, object? resource, IEnumerable<IAuthorizationRequirement> requirements) =>
            throw new NotSupportedException();

        public Task<AuthorizationResult> AuthorizeAsync(ClaimsPrincipal user, object? resource, string policyName)
        {
            Calls++;
            return Task.FromResult(passing.Contains(policyName) && user.Identity?.IsAuthenticated == true ? AuthorizationResult.Success() : AuthorizationResult.Failed());
        }
    }

    private static Task<AuthenticationState> State(bool signedIn) =>
        Task.FromResult(new AuthenticationState(new ClaimsPrincipal(signedIn ? new ClaimsIdentity([new Claim(ClaimTypes.Name, "x")], "test") : new ClaimsIdentity())));

    [Fact]
    public async Task SameState_AskedOnce_NewState_AskedAgain()
    {
        var authorization = new CountingAuthorization(PortalPolicies.ViewUsers);
        var checks = new PolicyChecks(authorization, PortalPolicies.ViewUsers, PortalPolicies.EditUserProfiles);
        Assert.False(checks.Allows(PortalPolicies.ViewUsers));
        Assert.False(await checks.UpdateAsync(null));
        Assert.False(checks.Allows(PortalPolicies.ViewUsers));

        var signedIn = State(signedIn: true);
        Assert.True(await checks.UpdateAsync(signedIn));
        Assert.True(checks.Allows(PortalPolicies.ViewUsers));
        Assert.False(checks.Allows(PortalPolicies.EditUserProfiles));
        Assert.False(checks.Allows("NoSuchPolicy"));
        Assert.Equal(2, authorization.Calls);

        for (int i = 0; i < 5; i++)
        {
            Assert.False(await checks.UpdateAsync(signedIn));
        }

        Assert.Equal(2, authorization.Calls);

        Assert.True(await checks.UpdateAsync(State(signedIn: false)));
        Assert.False(checks.Allows(PortalPolicies.ViewUsers));
        Assert.Equal(4, authorization.Calls);
    }
}
