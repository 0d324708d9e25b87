using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Invitations;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Invitations;

/// <summary>The invitation panel of the user detail page, with real MudBlazor components over a seeded SQLite database.</summary>
public sealed class InvitationComponentsTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;
    private long contoso;
    private long invited;
    private long seeded;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        var tenants = await InvitationServiceTests.TenantsAsync(database);
        contoso = tenants.Contoso;
        await using (var scope = database.Scope(TenantScope.ForCustomer(contoso)))
        {
            var result = await InvitationServiceTests.Service(database, scope).InviteAsync(new InvitationRequest
            {
                Email = "panel@example.com", Role = PortalRole.Support, SiteId = tenants.ContosoSite.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            invited = long.Parse(result.UserId!, System.Globalization.CultureInfo.InvariantCulture);
        }

        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            seeded = await context.Db.Users.Where(u => u.CustomerId == contoso && u.InvitedAt == null).Select(u => u.Id).FirstAsync();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<UserAccessService>();
        Services.AddSingleton<UserSyncNotifier>();
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        Services.AddScoped<InvitationService>();
    }

    private void SignIn(PortalRole role)
    {
        var authorization = AddAuthorization();
        authorization.SetAuthorized("someone");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, role.ToString()), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(role)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
        Services.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(contoso, "someone", role.ToString()));
    }

    [Fact]
    public void Panel_CustomerAdmin_ShowsTheStateTheHonestLinkAndTheActions()
    {
        SignIn(PortalRole.CustomerAdmin);

        var panel = Render<InvitationPanel>(parameters => parameters.Add(p => p.UserId, invited));

        panel.WaitForAssertion(() => Assert.Equal("Waiting for the first sign-in", panel.Find("[data-testid=invitation-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Contains("The portal does not send email.", panel.Find("[data-testid=invitation-link]").TextContent);
        Assert.Contains(panel.FindAll("button"), b => b.TextContent.Contains("Resend invitation"));
        Assert.Contains(panel.FindAll("button"), b => b.TextContent.Contains("Revoke invitation"));
    }

    [Fact]
    public void Panel_Support_SeesTheStateButCannotResendOrRevoke()
    {
        SignIn(PortalRole.Support);

        var panel = Render<InvitationPanel>(parameters => parameters.Add(p => p.UserId, invited));

        panel.WaitForAssertion(() => Assert.NotEmpty(panel.FindAll("[data-testid=invitation-state]")), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(panel.FindAll("button"), b => b.TextContent.Contains("invitation"));
        Assert.Empty(panel.FindAll("[data-testid=invitation-link]"));
    }

    [Fact]
    public void Panel_UserWhoWasNeverInvited_RendersNothing()
    {
        SignIn(PortalRole.CustomerAdmin);

        var panel = Render<InvitationPanel>(parameters => parameters.Add(p => p.UserId, seeded));

        Assert.Empty(panel.FindAll("[data-testid=invitation-panel]"));
        Assert.Equal("", panel.Markup.Trim());
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }
}
