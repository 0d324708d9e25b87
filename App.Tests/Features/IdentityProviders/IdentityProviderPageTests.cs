using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.IdentityProviders;

/// <summary>The provider detail page over a real SQLite database: the client secret is write-only.</summary>
public sealed class IdentityProviderPageTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        Services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = Environments.Production });
        Services.AddSingleton(TimeProvider.System);
        Services.AddPortalData(database.Options);
        Services.AddAuthentication();
        Services.AddSingleton(new SignInProviders());
        Services.AddIdentityProviders();
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Platform admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.PlatformAdmin));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.PlatformAdmin)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task<string> StoredSecretAsync(long id)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return (await context.Db.CiamSystems.Where(c => c.Id == id).Select(c => c.ClientSecretProtected).SingleAsync())!;
    }

    [Fact]
    public async Task SecretField_NeverRendersTheStoredSecret_AndAReplacementIsNotEchoedBack()
    {
        const string secret = "first-secret-4f1c9a";
        string id;
        await using (var scope = Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("setup"));
            var form = new ProviderForm(null, null, "Acme SSO", CiamProviderType.Oidc, "https://sso.acme.example", "portal", "openid profile", true, secret);
            var (result, saved) = await scope.ServiceProvider.GetRequiredService<IdentityProviderService>().SaveAsync(form);
            Assert.True(result.Succeeded);
            id = saved!;
        }

        string stored = await StoredSecretAsync(long.Parse(id));
        var page = Render<IdentityProviderPage>(parameters => parameters.Add(p => p.Id, id));
        page.WaitForAssertion(() => Assert.Contains("Set on", page.Markup), TimeSpan.FromSeconds(10));

        var field = page.Find("input[type=password]");
        Assert.True(string.IsNullOrEmpty(field.GetAttribute("value")));
        Assert.DoesNotContain(secret, page.Markup);
        Assert.DoesNotContain(stored, page.Markup);

        // Replacing it: saved encrypted, and the field is empty again afterwards.
        const string replacement = "second-secret-77d2e0";
        page.Find("input[type=password]").Change(replacement);
        await page.InvokeAsync(() => page.Find("form").Submit());
        page.WaitForAssertion(() => Assert.NotEqual(stored, StoredSecretAsync(long.Parse(id)).GetAwaiter().GetResult()), TimeSpan.FromSeconds(10));
        page.WaitForAssertion(() => Assert.True(string.IsNullOrEmpty(page.Find("input[type=password]").GetAttribute("value"))), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(replacement, page.Markup);
        Assert.DoesNotContain(await StoredSecretAsync(long.Parse(id)), page.Markup);
    }
}
