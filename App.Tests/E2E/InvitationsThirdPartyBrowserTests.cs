using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Invitations;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>An invitation accepted through a real third-party OpenID provider (oidc-provider), configured from appsettings.</summary>
public class InvitationsThirdPartyBrowserTests(ThirdPartyProviderPortal portal) : IClassFixture<ThirdPartyProviderPortal>
{
    [Fact]
    public async Task InvitedPerson_ThirdPartyProvider_UnverifiedEmailIsRefusedAndTheVerifiedOneLinks()
    {
        long contoso = await portal.QueryAsync(db => db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync());
        long site = await portal.QueryAsync(db => db.Sites.Where(s => s.CustomerId == contoso).Select(s => s.Id).FirstAsync());
        long id;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(contoso, "test-admin"));
            var result = await scope.ServiceProvider.GetRequiredService<InvitationService>().InviteAsync(
                new InvitationRequest { Email = ThirdPartyProviderPortal.InviteeEmail, DisplayName = "Invited Partner", Role = PortalRole.Support, SiteId = site.ToString() });
            Assert.True(result.Succeeded);
            id = long.Parse(result.UserId!);
        }

        // The provider says the address is not verified: no link, and the person is told what to fix.
        var unverified = await portal.NewPageAsync();
        await portal.SignInThroughProviderAsync(unverified, ThirdPartyProviderPortal.GenericButton, "partner-invitee-unverified");
        await Expect(unverified.GetByTestId("no-access-reason")).ToContainTextAsync("has not verified your email address");
        Assert.Null(await portal.QueryAsync(db => db.Users.Where(u => u.Id == id).Select(u => u.InvitationAcceptedAt).SingleAsync()));
        await unverified.Context.CloseAsync();

        var page = await portal.NewPageAsync();
        await portal.SignInThroughProviderAsync(page, ThirdPartyProviderPortal.GenericButton, "partner-invitee");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync("Invited Partner");
        // Support: the users area, not the identity providers.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Identity providers", Exact = true })).ToHaveCountAsync(0);
        Assert.NotNull(await portal.QueryAsync(db => db.Users.Where(u => u.Id == id).Select(u => u.InvitationAcceptedAt).SingleAsync()));
        Assert.True(await portal.QueryAsync(db => db.UserCiamMappings.AnyAsync(m => m.UserId == id && m.ExternalSubject == "partner-invitee")));
        Assert.True(await portal.QueryAsync(db => db.AuditLog.AnyAsync(a => a.EntityId == id && a.Action == AuditActions.InvitationAccepted)));
        await page.Context.CloseAsync();
    }
}
