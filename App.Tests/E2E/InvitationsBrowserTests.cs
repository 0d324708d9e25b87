using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Invitations;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Invite in the browser, then the invited person's first sign-in through the development provider.</summary>
public class InvitationsBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query) => server.QueryAsync(query);

    /// <summary>A full page load, then the circuit: clicks on prerendered markup are lost.</summary>
    private static async Task GoAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
    }

    /// <summary>An invitation made through the service, as Contoso's admin would (for the tests that start from one).</summary>
    private async Task<long> InviteAsync(string email, PortalRole role = PortalRole.Support)
    {
        long contoso = await QueryAsync(db => db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync());
        long site = await QueryAsync(db => db.Sites.Where(s => s.CustomerId == contoso).Select(s => s.Id).FirstAsync());
        await using var scope = server.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(contoso, "test-admin"));
        var result = await scope.ServiceProvider.GetRequiredService<InvitationService>().InviteAsync(new InvitationRequest { Email = email, Role = role, SiteId = site.ToString() });
        Assert.True(result.Succeeded);
        return long.Parse(result.UserId!);
    }

    [Fact]
    public async Task CustomerAdmin_InvitesAnEditor_AndTheFirstSignInLinksAndLandsWithTheInvitedRole()
    {
        var admin = await server.SignInAsync("Customer admin · Contoso");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Invite a person" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Invite a person", Level = 1 })).ToBeVisibleAsync();
        await admin.GetByLabel("Role").ClickAsync();
        await admin.GetByRole(AriaRole.Option, new() { Name = "editor" }).ClickAsync();
        await admin.GetByLabel("Site").ClickAsync();
        await admin.GetByRole(AriaRole.Option, new() { Name = "Contoso Blog" }).ClickAsync();

        // A bad address: the message sits next to the field, and nothing is saved.
        await admin.GetByLabel("Email").FillAsync("pat.invitee at example.com");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
        await Expect(admin.GetByText("Enter a valid email address")).ToBeVisibleAsync();
        Assert.False(await QueryAsync(db => db.Users.AnyAsync(u => u.Email.StartsWith("pat.invitee"))));

        await admin.GetByLabel("Email").FillAsync("Pat.Invitee@example.com");
        await admin.GetByLabel("Name (optional)").FillAsync("Pat <b>Invitee</b>");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();

        await Expect(admin.GetByTestId("invitation-created")).ToContainTextAsync("pat.invitee@example.com is invited as editor");
        // Honest: no email went out; the admin gets the link to pass on.
        await Expect(admin.GetByTestId("invitation-link")).ToContainTextAsync("The portal does not send email.");
        await Expect(admin.GetByLabel("Sign-in link")).ToHaveValueAsync(server.BaseUrl + "/signin");
        await admin.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("invitation-created.png"), FullPage = true });
        var invited = await QueryAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "pat.invitee@example.com"));
        Assert.True(invited.IsInvitationPending);
        Assert.Equal(PortalRole.Editor, invited.PortalRole);

        // The users grid's "Invited" filter, in the URL; a tampered value is reset with a notice.
        await GoAsync(admin, server.BaseUrl + "/users?state=Invited");
        await Expect(admin.Locator($"[data-user-id='{invited.Id}']")).ToContainTextAsync("Invited");
        int pending = await QueryAsync(db => db.Users.CountAsync(u => u.Customer!.Slug == "contoso" && u.InvitedAt != null && u.InvitationAcceptedAt == null));
        await Expect(admin.GetByTestId("user-total")).ToHaveTextAsync(pending == 1 ? "1 user" : $"{pending} users");
        await Expect(admin.Locator("[data-user-id]")).ToHaveCountAsync(pending);
        await Expect(admin.Locator($"[data-user-id='{invited.Id}']")).ToContainTextAsync("Pat <b>Invitee</b>");
        await GoAsync(admin, server.BaseUrl + "/users?state=Invited%27%3E%3Cscript%3E");
        await Expect(admin.GetByText("were reset: state")).ToBeVisibleAsync();

        // The invited person: a browser of their own, the development provider, the invited email (verified).
        var person = await server.SignInAsync("pat.invitee@example.com");
        await Expect(person.GetByRole(AriaRole.Link, new() { Name = "Posts", Exact = true })).ToBeVisibleAsync();
        await Expect(person.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToHaveCountAsync(0);
        var accepted = await QueryAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == invited.Id));
        Assert.NotNull(accepted.InvitationAcceptedAt);
        Assert.Equal(1, accepted.LoginCount);
        Assert.True(await QueryAsync(db => db.AuditLog.AnyAsync(a => a.EntityId == invited.Id && a.Action == AuditActions.InvitationAccepted)));
        Assert.True(await QueryAsync(db => db.UserCiamMappings.AnyAsync(m => m.UserId == invited.Id)));

        await GoAsync(admin, server.BaseUrl + $"/users/{invited.Id}");
        await Expect(admin.GetByTestId("invitation-state")).ToHaveTextAsync("Accepted");
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Revoke invitation" })).ToHaveCountAsync(0);
        await person.CloseAsync();
        await admin.CloseAsync();
    }

    [Fact]
    public async Task ExpiredInvitation_FirstSignIn_SaysItExpiredAndAskForAResend()
    {
        long id = await InviteAsync("expired.invitee@example.com");
        await QueryAsync(async db =>
        {
            (await db.Users.SingleAsync(u => u.Id == id)).InvitationExpiresAt = DateTime.UtcNow.AddHours(-1);
            return await db.SaveChangesAsync();
        });

        var page = await server.Browser.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/signin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "expired.invitee@example.com" }).First.ClickAsync();

        await Expect(page.GetByTestId("no-access-reason")).ToContainTextAsync("Your invitation to the portal has expired. Ask your administrator to resend it");
        Assert.Null(await QueryAsync(db => db.Users.Where(u => u.Id == id).Select(u => u.InvitationAcceptedAt).SingleAsync()));
        await page.CloseAsync();
    }

    [Fact]
    public async Task CustomerAdmin_ResendsThenRevokes_AndTheRevokedPersonCannotSignIn()
    {
        long id = await InviteAsync("revoked.invitee@example.com");
        var admin = await server.SignInAsync("Customer admin · Contoso");
        await GoAsync(admin, server.BaseUrl + $"/users/{id}");
        await Expect(admin.GetByTestId("invitation-state")).ToHaveTextAsync("Waiting for the first sign-in");

        await admin.GetByRole(AriaRole.Button, new() { Name = "Resend invitation" }).ClickAsync();
        await Expect(admin.GetByText("No email was sent: pass the sign-in link on.")).ToBeVisibleAsync();
        Assert.True(await QueryAsync(db => db.AuditLog.AnyAsync(a => a.EntityId == id && a.Action == AuditActions.InvitationResent)));

        // Revoking asks first; cancelling changes nothing.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Revoke invitation" }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        Assert.True(await QueryAsync(db => db.Users.AnyAsync(u => u.Id == id)));
        await admin.GetByRole(AriaRole.Button, new() { Name = "Revoke invitation" }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Expect(admin).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/users\\?state=Invited"));
        Assert.False(await QueryAsync(db => db.Users.AnyAsync(u => u.Id == id)));
        Assert.True(await QueryAsync(db => db.AuditLog.AnyAsync(a => a.EntityId == id && a.Action == AuditActions.InvitationRevoked)));

        // Gone from the development provider's list too, and the old detail link is "not found".
        var person = await server.Browser.NewPageAsync();
        await person.GotoAsync(server.BaseUrl + "/signin");
        await person.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await Expect(person.GetByRole(AriaRole.Heading, new() { Name = "Development sign-in" })).ToBeVisibleAsync();
        await Expect(person.GetByRole(AriaRole.Button).Filter(new() { HasText = "revoked.invitee@example.com" })).ToHaveCountAsync(0);
        await GoAsync(admin, server.BaseUrl + $"/users/{id}");
        await Expect(admin.GetByTestId("user-not-found")).ToBeVisibleAsync();
        await person.CloseAsync();
        await admin.CloseAsync();
    }
}
