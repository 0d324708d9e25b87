using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace AdminPortal.App.Auth;

/// <summary>
/// A component's policies, evaluated once per authentication state. An <c>AuthorizeView</c> asks the authorization
/// service again every time its parent renders, which on a grid is every page turn (6.7 % of a users-grid turn's
/// navigation message in the sixteenth round's profile); a sign-in, sign-out or view-as is a new state task, and only
/// then are the policies asked again. Until the first evaluation nothing is allowed.
/// </summary>
public sealed class PolicyChecks(IAuthorizationService authorization, params string[] policies)
{
    private Task<AuthenticationState>? evaluatedFor;
    private HashSet<string> allowed = [];

    /// <summary>Whether the last evaluated state passes <paramref name="policy"/> (one of the policies given).</summary>
    public bool Allows(string policy) => allowed.Contains(policy);

    /// <summary>Evaluates the policies for <paramref name="state"/> unless this very state was the last evaluated; true when it evaluated.</summary>
    public async Task<bool> UpdateAsync(Task<AuthenticationState>? state)
    {
        if (state is null || ReferenceEquals(state, evaluatedFor))
        {
            return false;
        }

        evaluatedFor = state;
        var user = (await state).User;
        var passed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string policy in policies)
        {
            if ((await authorization.AuthorizeAsync(user, resource: null, policy)).Succeeded)
            {
                passed.Add(policy);
            }
        }

        allowed = passed;
        return true;
    }
}
