using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Auth;

public class ClaimsAndPoliciesTests
{
    private static ClaimsPrincipal Principal(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test", PortalClaimTypes.DisplayName, PortalClaimTypes.Role));

    [Fact]
    public async Task ClaimsTransformation_AppliedTwice_GivesTheSameClaimsAndFollowsTheDatabase()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        long userId;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var user = await context.Db.Users.FirstAsync(u => u.PortalRole == PortalRole.Editor);
            userId = user.Id;
            user.PortalRole = PortalRole.Support; // changed since the cookie was written
            await context.Db.SaveChangesAsync();
        }

        using var access = new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>());
        var transformation = new PortalClaimsTransformation(SessionTestServices.Validator(database.Services, access));
        var cookie = Principal((PortalClaimTypes.UserId, userId.ToString()), (PortalClaimTypes.Role, PortalRoles.Editor), (PortalClaimTypes.DisplayName, "E"));

        var once = await transformation.TransformAsync(cookie);
        var twice = await transformation.TransformAsync(once);

        static string[] Flatten(ClaimsPrincipal p) => p.Claims.Select(c => $"{c.Type}={c.Value}").Order().ToArray();
        Assert.Equal(Flatten(once), Flatten(twice));
        Assert.Equal([PortalRoles.Support], once.FindAll(PortalClaimTypes.Role).Select(c => c.Value));
        Assert.Equal(PortalRoles.Editor, cookie.FindFirst(PortalClaimTypes.Role)!.Value); // the input is not mutated
    }

    [Fact]
    public async Task UserAccessCache_ManyDistinctUsers_StaysWithinItsBound()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite);
        using var access = new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>());

        for (long id = 1; id <= UserAccessService.CacheSize + 500; id++)
        {
            await access.GetAsync(id);
        }

        Assert.InRange(access.CachedCount, 1, UserAccessService.CacheSize);
    }

    public static TheoryData<string, PortalRole> PolicyRoleCases()
    {
        var data = new TheoryData<string, PortalRole>();
        foreach (var policy in PortalPolicies.Roles.Keys)
        {
            foreach (var role in Enum.GetValues<PortalRole>())
            {
                data.Add(policy, role);
            }
        }

        return data;
    }

    [Theory, MemberData(nameof(PolicyRoleCases))]
    public async Task Policy_EachRole_IsAdmittedExactlyAsTheTableSays(string policy, PortalRole role)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthorizationBuilder().AddPortalPolicies();
        await using var provider = services.BuildServiceProvider();
        var authorization = provider.GetRequiredService<IAuthorizationService>();

        var result = await authorization.AuthorizeAsync(Principal((PortalClaimTypes.Role, role.ToString())), policy);

        Assert.Equal(PortalPolicies.Roles[policy].Contains(role), result.Succeeded);
    }

    [Fact]
    public async Task FallbackPolicy_AnonymousOrRoleless_IsRefused()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthorizationBuilder().AddPortalPolicies();
        await using var provider = services.BuildServiceProvider();
        var authorization = provider.GetRequiredService<IAuthorizationService>();
        var fallback = (await provider.GetRequiredService<IAuthorizationPolicyProvider>().GetFallbackPolicyAsync())!;

        Assert.False((await authorization.AuthorizeAsync(new ClaimsPrincipal(new ClaimsIdentity()), fallback)).Succeeded);
        Assert.False((await authorization.AuthorizeAsync(Principal((PortalClaimTypes.DisplayName, "no role")), fallback)).Succeeded);
        Assert.True((await authorization.AuthorizeAsync(Principal((PortalClaimTypes.Role, PortalRoles.Editor)), fallback)).Succeeded);
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/users?site=1", "/users?site=1")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("/\t/evil.example", "/")]
    [InlineData("/users\r\nSet-Cookie: x=y", "/")]
    [InlineData(null, "/")]
    public void SafeReturnUrl_OnlyLocalPaths_PassThrough(string? input, string expected)
    {
        Assert.Equal(expected, AuthSetup.SafeReturnUrl(input));
    }
}
