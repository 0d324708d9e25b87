using System.Diagnostics;
using System.Net;
using AdminPortal.App.Auth;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Roles and sessions with two people (or one person in two browsers) at once: a change made in one browser reaches
/// the other's open page within the revalidation interval (2 s on the test host).
/// </summary>
public class PeopleBrowserTests(PortalServer server, ITestOutputHelper output) : IClassFixture<PortalServer>
{
    private Task<long> PersonaAsync(string customer, PortalRole role) =>
        server.QueryAsync(db => db.UserCiamMappings
            .Where(m => m.CiamSystem!.Authority == DevIdentityProvider.Authority && m.User!.PortalRole == role && m.User.Customer!.Slug == customer)
            .Select(m => m.UserId).SingleAsync());

    [Fact]
    public async Task GrantRole_AdminInOneBrowser_ThePersonsOpenPageFollowsAndTheirNextRequestHasTheNewRole()
    {
        long editorId = await PersonaAsync("contoso", PortalRole.Editor);
        var editor = await server.SignInAsync("Editor · Contoso");
        await Expect(editor.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToHaveCountAsync(0);
        var admin = await server.SignInAsync("Customer admin · Contoso");

        await admin.GotoAsync($"{server.BaseUrl}/users/{editorId}");
        await admin.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(admin.GetByTestId("portal-role")).ToHaveTextAsync("Editor");
        // The editor's session, as the admin sees it on the user detail.
        var sessionRows = admin.Locator("[data-testid=sessions] tr[data-session]");
        await Expect(sessionRows).ToHaveCountAsync(1);
        await Expect(sessionRows.First).ToContainTextAsync("Headless Chrome");
        await Expect(sessionRows.First).ToContainTextAsync("Development sign-in");
        await Expect(sessionRows.First.GetByTestId("this-session")).ToHaveCountAsync(0);

        await admin.GetByLabel("New role").ClickAsync();
        await admin.GetByRole(AriaRole.Option, new() { Name = "Support", Exact = true }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await Expect(admin.GetByTestId("portal-role")).ToHaveTextAsync("Support");
        var watch = Stopwatch.StartNew();

        // The editor's open page was authorized for the old role: its circuit check ends it. Their session did not end
        // (only the role changed), so the same page loads again with the new role, rather than saying "session ended".
        await Expect(editor.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        output.WriteLine($"open page of the changed person showed the new role {watch.Elapsed.TotalMilliseconds:F0} ms after the change showed (revalidation interval 2 s)");
        Assert.DoesNotContain("/signin", editor.Url);
        await Expect(editor.GetByTestId("sign-in-message")).ToHaveCountAsync(0);
        await editor.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(editor.GetByRole(AriaRole.Link, new() { Name = "Posts", Exact = true })).ToHaveCountAsync(0);
        await editor.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("role-changed-person.png") });

        await Expect(admin.Locator("td").Filter(new() { HasText = "role changed" })).ToHaveCountAsync(1);
        var audit = await server.QueryAsync(db => db.AuditLog.Where(a => a.EntityId == editorId && a.Action == "role_changed").Select(a => new { a.Actor, a.Changes }).SingleAsync());
        Assert.Contains("\"portal_role\":{\"old\":\"Editor\",\"new\":\"Support\"}", audit.Changes);
        await admin.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("user-role-and-sessions.png"), FullPage = true });

        // Sign out everywhere, from the user detail, after a confirmation: the list empties, their page goes to sign-in.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await admin.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await Expect(admin.GetByTestId("sessions-empty")).ToHaveTextAsync("No open portal sessions.");
        await Expect(editor.GetByTestId("sign-in-message")).ToContainTextAsync("Your session has ended", new() { Timeout = 20_000 });
        await editor.GotoAsync(server.BaseUrl + "/users");
        Assert.Contains("/signin", editor.Url);
        await editor.CloseAsync();
        await admin.CloseAsync();
    }

    [Fact]
    public async Task ChangeRole_OwnAdminRole_AsksFirstAndKeepsItOnCancel()
    {
        long adminId = await PersonaAsync("fabrikam", PortalRole.CustomerAdmin);
        var admin = await server.SignInAsync("Customer admin · Fabrikam");
        await admin.GotoAsync($"{server.BaseUrl}/users/{adminId}");
        await admin.Locator("[data-interactive=true]").WaitForAsync();

        await admin.GetByLabel("New role").ClickAsync();
        await admin.GetByRole(AriaRole.Option, new() { Name = "Support", Exact = true }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Remove your own admin role?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        await Expect(admin.GetByTestId("portal-role")).ToHaveTextAsync("Customer admin");

        // Confirmed, the last admin of Fabrikam is still refused, next to the field.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await admin.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Remove my admin role" }).ClickAsync();
        await Expect(admin.GetByText("Last active admin of Fabrikam")).ToBeVisibleAsync();
        await Expect(admin.GetByTestId("portal-role")).ToHaveTextAsync("Customer admin");
        Assert.Equal(PortalRole.CustomerAdmin, await server.QueryAsync(db => db.Users.Where(u => u.Id == adminId).Select(u => u.PortalRole).SingleAsync()));
        await admin.CloseAsync();
    }

    [Fact]
    public async Task ProfileAndRole_SavedOneAfterTheOtherOnOnePage_NeitherIsTakenForSomeoneElsesChange()
    {
        long editorId = await PersonaAsync("fabrikam", PortalRole.Editor);
        var admin = await server.SignInAsync("Customer admin · Fabrikam");
        await admin.GotoAsync($"{server.BaseUrl}/users/{editorId}");
        await admin.Locator("[data-interactive=true]").WaitForAsync();
        var name = admin.GetByLabel("Name", new() { Exact = true });

        await name.FillAsync("Renamed before the role");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();
        await Expect(admin.GetByText("Profile saved.")).ToBeVisibleAsync();
        await admin.GetByLabel("New role").ClickAsync();
        await admin.GetByRole(AriaRole.Option, new() { Name = "Support", Exact = true }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await Expect(admin.GetByTestId("portal-role")).ToHaveTextAsync("Support");
        await Expect(admin.GetByTestId("role-conflict")).ToHaveCountAsync(0);
        await name.FillAsync("Renamed after the role");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();

        await Expect(admin.GetByText("Profile saved.").Last).ToBeVisibleAsync(new() { Timeout = 10_000 });
        var watch = Stopwatch.StartNew();
        (string, PortalRole?) saved;
        do
        {
            saved = await server.QueryAsync(db => db.Users.Where(u => u.Id == editorId).Select(u => new ValueTuple<string, PortalRole?>(u.DisplayName, u.PortalRole)).SingleAsync());
        }
        while (saved.Item1 != "Renamed after the role" && watch.Elapsed < TimeSpan.FromSeconds(10) && await Task.Delay(200).ContinueWith(_ => true));

        Assert.Equal(("Renamed after the role", (PortalRole?)PortalRole.Support), saved);
        await Expect(admin.GetByTestId("conflict")).ToHaveCountAsync(0);
        await admin.CloseAsync();
    }

    [Fact]
    public async Task EndSession_FromMySessionsInAnotherBrowser_TheEndedCookieIsRefusedAndItsOpenPageEnds()
    {
        long supportId = await PersonaAsync("fabrikam", PortalRole.Support);
        var ended = await server.SignInAsync("Support · Fabrikam");
        var keeper = await server.SignInAsync("Support · Fabrikam");
        var cookies = await ended.Context.CookiesAsync([server.BaseUrl]);
        using var copy = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(server.BaseUrl) };
        copy.DefaultRequestHeaders.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/users/export.csv")).StatusCode);

        // "My sessions" from the person's own menu: both browsers, this one marked.
        await keeper.GetByRole(AriaRole.Link, new() { Name = "My sessions" }).ClickAsync();
        await Expect(keeper.GetByRole(AriaRole.Heading, new() { Name = "My sessions", Level = 1 })).ToBeVisibleAsync();
        var rows = keeper.Locator("tr[data-session]");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(keeper.GetByTestId("this-session")).ToHaveCountAsync(1);
        await keeper.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("my-sessions.png"), FullPage = true });

        var other = rows.Filter(new() { HasNot = keeper.GetByTestId("this-session") });
        await other.GetByRole(AriaRole.Button, new() { Name = "End the session" }).ClickAsync();
        await keeper.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "End session" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        var watch = Stopwatch.StartNew();

        // The ended browser's cookie is refused on its very next request (this instance knows at once).
        var after = await copy.GetAsync("/users/export.csv");
        output.WriteLine($"ended session's cookie: {(int)after.StatusCode} {after.Headers.Location} {watch.Elapsed.TotalMilliseconds:F0} ms after the list showed the end");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery);
        // Its open page's circuit ends within the revalidation interval.
        await Expect(ended.GetByTestId("sign-in-message")).ToContainTextAsync("Your session has ended", new() { Timeout = 20_000 });
        output.WriteLine($"ended session's open page left its circuit {watch.Elapsed.TotalMilliseconds:F0} ms after the end (revalidation interval 2 s)");
        await ended.GotoAsync(server.BaseUrl + "/users");
        Assert.Contains("/signin", ended.Url);

        // The browser that ended it is still signed in, and still marked.
        await keeper.ReloadAsync();
        await keeper.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First.GetByTestId("this-session")).ToBeVisibleAsync();
        var audit = await server.QueryAsync(db => db.AuditLog.Where(a => a.EntityType == nameof(PortalSession) && a.Action == SessionListService.SessionEnded && a.ActorUserId == supportId).CountAsync());
        Assert.Equal(1, audit);
        await ended.CloseAsync();
        await keeper.CloseAsync();
    }
}
