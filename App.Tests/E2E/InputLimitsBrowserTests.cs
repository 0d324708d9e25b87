using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Oversized input in a real Chromium: a 5 MB paste into the post's body and title and into a display name keeps the
/// circuit alive, says the limit was reached, and saves exactly what the field holds; a value past the limit that
/// reaches the server anyway (maxlength removed) is "Not saved" with the reason, and the database keeps its value.
/// </summary>
public class InputLimitsBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private const int FiveMegabytes = 5 * 1024 * 1024;

    /// <summary>Pastes through the system clipboard and Ctrl+V, as a person would; the browser applies maxlength.</summary>
    private static async Task PasteAsync(IPage page, ILocator field, string text)
    {
        await page.EvaluateAsync("text => navigator.clipboard.writeText(text)", text);
        await field.ClickAsync();
        await page.Keyboard.PressAsync("ControlOrMeta+A");
        await page.Keyboard.PressAsync("ControlOrMeta+V");
    }

    private static List<string> WatchConnection(IPage page)
    {
        var lost = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("disconnected", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Connection closed", StringComparison.OrdinalIgnoreCase))
            {
                lost.Add(message.Text);
            }
        };
        page.PageError += (_, error) => lost.Add(error);
        return lost;
    }

    private async Task<IPage> SignInWithClipboardAsync(string persona)
    {
        var page = await server.SignInAsync(persona);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = server.BaseUrl });
        return page;
    }

    [Fact]
    public void CircuitMessageSize_FitsEveryFieldsLimit_AtSixBytesACharacter()
    {
        // Every "Max…Length" constant in the portal, found by reflection: a new field's limit is checked the day it is added.
        var limits = typeof(Program).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(int) && f.Name.StartsWith("Max", StringComparison.Ordinal) && f.Name.EndsWith("Length", StringComparison.Ordinal))
            .Select(f => (Name: $"{f.DeclaringType!.Name}.{f.Name}", Value: (int)f.GetRawConstantValue()!))
            .ToList();
        Assert.Contains(limits, l => l.Name == "Post.MaxContentLength");
        Assert.Contains(limits, l => l.Name == "User.MaxDisplayNameLength");

        var hub = typeof(Microsoft.AspNetCore.Components.Server.CircuitOptions).Assembly.GetType("Microsoft.AspNetCore.Components.Server.ComponentHub", throwOnError: true)!;
        var optionsType = typeof(Microsoft.Extensions.Options.IOptions<>).MakeGenericType(typeof(Microsoft.AspNetCore.SignalR.HubOptions<>).MakeGenericType(hub));
        object options = server.Services.GetService(optionsType)!;
        long? maximum = ((Microsoft.AspNetCore.SignalR.HubOptions)optionsType.GetProperty("Value")!.GetValue(options)!).MaximumReceiveMessageSize;

        Assert.NotNull(maximum);
        Assert.All(limits, limit => Assert.True(limit.Value * 6L + 1024 <= maximum, $"{limit.Name} ({limit.Value}) does not fit {maximum} bytes"));
        Assert.Equal(App.Components.CircuitLimits.MaxReceiveMessageBytes, maximum);
    }

    [Fact]
    public async Task PostEditor_FiveMegabytePasteIntoBodyAndTitle_CircuitAliveLimitShownAndExactlyTheLimitSaved()
    {
        long draft = await server.QueryAsync(db => db.Posts.Where(p => p.Status == PostStatus.Draft && p.Site!.Customer!.Slug == "contoso" && p.DeletedAt == null).OrderBy(p => p.Id).Select(p => p.Id).FirstAsync());
        var page = await SignInWithClipboardAsync("Customer admin · Contoso");
        var lost = WatchConnection(page);
        await page.GotoAsync($"{server.BaseUrl}/posts/{draft}");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("All changes saved");

        var content = page.GetByLabel("Content (Markdown)");
        var timer = System.Diagnostics.Stopwatch.StartNew();
        await PasteAsync(page, content, new string('b', FiveMegabytes));
        await Expect(page.GetByText("At the limit of 100,000 characters")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        Assert.Equal(Post.MaxContentLength, await content.EvaluateAsync<int>("e => e.value.length"));
        await Expect(page.GetByTestId("save-state")).ToContainTextAsync("All changes saved · autosaved", new() { Timeout = 30_000 });
        Assert.Equal(Post.MaxContentLength, await server.QueryAsync(db => db.Posts.Where(p => p.Id == draft).Select(p => p.Content.Length).SingleAsync()));
        Console.WriteLine($"5 MB paste into the post body: cut to {Post.MaxContentLength:N0} characters and autosaved in {timer.Elapsed.TotalSeconds:0.0} s (2 s of it the autosave delay).");

        var title = page.GetByLabel("Title", new() { Exact = true });
        await PasteAsync(page, title, new string('t', FiveMegabytes));
        await Expect(page.GetByText("At the limit of 300 characters")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("save-state")).ToContainTextAsync("All changes saved · autosaved", new() { Timeout = 30_000 });
        Assert.Equal(new string('t', Post.MaxTitleLength), await server.QueryAsync(db => db.Posts.Where(p => p.Id == draft).Select(p => p.Title).SingleAsync()));
        await page.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("post-editor-at-limit.png") });

        // Past the limit anyway (maxlength taken off in the page): the server refuses, says why, and keeps the text.
        await content.EvaluateAsync("e => e.removeAttribute('maxlength')");
        await content.ClickAsync();
        await page.Keyboard.PressAsync("End");
        await page.Keyboard.InsertTextAsync(new string('x', 50_000));
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("Not saved: The content has at most 100,000 characters; this one has 150,000. Nothing was saved.", new() { Timeout = 30_000 });
        Assert.Equal(150_000, await content.EvaluateAsync<int>("e => e.value.length"));
        Assert.Equal(Post.MaxContentLength, await server.QueryAsync(db => db.Posts.Where(p => p.Id == draft).Select(p => p.Content.Length).SingleAsync()));
        await Expect(page.Locator(".mud-input-helper-text.mud-input-error").Filter(new() { HasText = "at most 100,000" })).ToBeVisibleAsync();

        // The circuit is the same one throughout: it still answers.
        await title.FillAsync("Back to normal");
        await Expect(page.GetByText("At the limit of 300 characters")).ToBeHiddenAsync(); // rendered by the server, after a round trip
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("Not saved: The content has at most 100,000 characters; this one has 150,000. Nothing was saved.", new() { Timeout = 30_000 });
        Assert.Equal(new string('t', Post.MaxTitleLength), await server.QueryAsync(db => db.Posts.Where(p => p.Id == draft).Select(p => p.Title).SingleAsync()));
        Assert.Empty(lost);
        await page.CloseAsync();
    }

    [Fact]
    public async Task UserProfile_FiveMegabyteDisplayName_CircuitAliveLimitShown_AndPastTheLimitNothingIsSaved()
    {
        var user = await server.QueryAsync(db => db.Users.Where(u => u.Customer!.Slug == "contoso" && u.PortalRole == null).OrderBy(u => u.Id).Select(u => new { u.Id, u.DisplayName }).FirstAsync());
        var page = await SignInWithClipboardAsync("Customer admin · Contoso");
        var lost = WatchConnection(page);
        await page.GotoAsync($"{server.BaseUrl}/users/{user.Id}");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 30_000 });

        var name = page.GetByLabel("Name", new() { Exact = true });
        await PasteAsync(page, name, new string('n', FiveMegabytes));
        await Expect(page.GetByText("At the limit of 200 characters")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();
        await Expect(page.GetByText("Profile saved.")).ToBeVisibleAsync();
        Assert.Equal(new string('n', User.MaxDisplayNameLength), await server.QueryAsync(db => db.Users.Where(u => u.Id == user.Id).Select(u => u.DisplayName).SingleAsync()));

        await Expect(page.GetByText("Profile saved.")).ToBeHiddenAsync(new() { Timeout = 20_000 });
        await name.EvaluateAsync("e => e.removeAttribute('maxlength')");
        await name.FillAsync(new string('m', 300));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();
        await Expect(page.GetByText("A name has at most 200 characters; this one has 300. Nothing was saved.")).ToBeVisibleAsync();
        await Expect(page.GetByText("Profile saved.")).ToHaveCountAsync(0);
        Assert.Equal(new string('n', User.MaxDisplayNameLength), await server.QueryAsync(db => db.Users.Where(u => u.Id == user.Id).Select(u => u.DisplayName).SingleAsync()));
        await page.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("user-profile-too-long.png") });
        Assert.Empty(lost);
        await page.CloseAsync();
    }
}
