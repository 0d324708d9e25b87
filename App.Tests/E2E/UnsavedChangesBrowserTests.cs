using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Every edit form has the post editor's leave guard: a link asks first (Stay keeps the text), and so does the tab.</summary>
public class UnsavedChangesBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task UserProfile_EditedThenNavigating_AsksFirst_StayKeepsTheText_LeaveGoes_AndTheTabAsksToo()
    {
        long userId = await server.QueryAsync(db => db.Users.Where(u => u.Customer!.Slug == "contoso" && u.PortalRole == null).OrderBy(u => u.Id).Select(u => u.Id).FirstAsync());
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync($"{server.BaseUrl}/users/{userId}");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 30_000 });

        var name = page.GetByLabel("Name", new() { Exact = true });
        await name.ClickAsync();
        await name.FillAsync("Edited but not saved");
        await Expect(page.GetByText("20 / 200")).ToBeVisibleAsync(); // the counter, rendered by the server: the edit has arrived
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Leave without saving?")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("user-profile-leave-guard.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Stay" }).ClickAsync();
        await Expect(name).ToHaveValueAsync("Edited but not saved");
        Assert.EndsWith($"/users/{userId}", page.Url);

        // The browser's own prompt guards closing or reloading the tab: the page cancels beforeunload while it is dirty,
        // and Chromium shows its "Leave site?" dialog; dismissing it stays.
        Assert.True(await page.EvaluateAsync<bool>("() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented; }"));
        var prompt = new TaskCompletionSource<IDialog>();
        page.Dialog += (_, dialog) => prompt.TrySetResult(dialog);
        var reload = page.ReloadAsync(new() { Timeout = 5_000 });
        var shown = await prompt.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("beforeunload", shown.Type);
        await shown.DismissAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => reload); // the reload never happened (a reload would also reset the field)
        await Expect(name).ToHaveValueAsync("Edited but not saved");

        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Leave without saving?")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Leave" }).ClickAsync();
        // Longer than the default: in CI this ran among dozens of starting test servers on two cores, and the dialog
        // was still up 5 s after the click (the test passes alone every time).
        await Expect(page).ToHaveURLAsync($"{server.BaseUrl}/", new() { Timeout = 20_000 });
        Assert.NotEqual("Edited but not saved", await server.QueryAsync(db => db.Users.Where(u => u.Id == userId).Select(u => u.DisplayName).SingleAsync()));
        await page.CloseAsync();
    }

    [Fact]
    public async Task CustomerPanelAndIdentityProviderForm_EditedThenNavigating_AskFirst()
    {
        var page = await server.SignInAsync("Platform admin");
        await page.GotoAsync($"{server.BaseUrl}/customers");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "New customer" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Half-typed customer");
        await Expect(page.GetByText("19 / 200")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Leave without saving?")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Stay" }).ClickAsync();
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Half-typed customer");

        await page.GotoAsync($"{server.BaseUrl}/identity-providers/new");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 30_000 });
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Half-typed provider");
        await Expect(page.GetByText("19 / 200")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Leave without saving?")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Leave" }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{server.BaseUrl}/");
        await page.CloseAsync();
    }
}
