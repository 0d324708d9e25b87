using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// A users-grid page turn is one message on the circuit's WebSocket and nothing else: every HTTP request that reaches
/// the portal runs the cookie's session check (SessionValidator) and the claims transformation, which the sixth round's
/// trace found costing about 3 ms a turn (docs/performance.md).
/// </summary>
public class PageTurnBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task UsersGrid_PageTurns_SendNoHttpRequestToThePortal()
    {
        var page = await server.SignInAsync("Support · Contoso");
        await page.GotoAsync(server.BaseUrl + "/users");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await Expect(page.Locator("tr[data-user-id]")).ToHaveCountAsync(25);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // The first turns may load what the page had not needed yet; the ones after them must not ask for anything.
        // (The seeded tenant has two pages: forth and back.)
        await TurnAsync(page, "Next page");
        await TurnAsync(page, "Previous page");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        int port = new Uri(server.BaseUrl).Port;
        using var requests = new RequestRecorder(port);
        foreach (string button in new[] { "Next page", "Previous page", "Next page" })
        {
            await TurnAsync(page, button);
        }

        // The browser asks for a page's icon after a navigation has committed, not before the rows show.
        await page.WaitForTimeoutAsync(1500);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.True(requests.Paths.IsEmpty, $"HTTP requests during 3 page turns: {string.Join(", ", requests.Paths)}");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("after="));
    }

    /// <summary>
    /// A page turn is the browser's own navigation, told to the circuit once, and the renders it causes. The pager's
    /// buttons used to be a click event, a NavigateTo sent back to the browser and its reply; and while a location-
    /// changing handler was registered (for everyone, though only a platform admin's navigations can switch tenant),
    /// the browser asked the circuit before every navigation: one more round trip.
    /// </summary>
    [Fact]
    public async Task UsersGrid_PageTurn_IsOneNavigationMessage_NoEventNorRoundTrip()
    {
        var page = await server.SignInAsync("Support · Contoso");
        var messages = new ConcurrentQueue<(bool Sent, string Text)>();
        page.WebSocket += (_, socket) =>
        {
            // Blazor's MessagePack frames name the hub method or JS call in plain ASCII.
            static string Ascii(byte[]? bytes) => bytes is null ? "" : new string(bytes.Select(b => b is >= 32 and < 127 ? (char)b : '.').ToArray());
            socket.FrameSent += (_, frame) => messages.Enqueue((true, frame.Text ?? Ascii(frame.Binary)));
            socket.FrameReceived += (_, frame) => messages.Enqueue((false, frame.Text ?? Ascii(frame.Binary)));
        };
        await page.GotoAsync(server.BaseUrl + "/users");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await Expect(page.Locator("tr[data-user-id]")).ToHaveCountAsync(25);
        await TurnAsync(page, "Next page");
        await TurnAsync(page, "Previous page");
        await page.WaitForTimeoutAsync(500);

        messages.Clear();
        foreach (string button in new[] { "Next page", "Previous page", "Next page" })
        {
            await TurnAsync(page, button);
        }

        await page.WaitForTimeoutAsync(500);
        int Count(bool sent, string name) => messages.Where(m => m.Sent == sent).Sum(m => System.Text.RegularExpressions.Regex.Matches(m.Text, $@"\b{name}\b").Count);
        string seen = string.Join(Environment.NewLine, messages.Select(m => (m.Sent ? "-> " : "<- ") + m.Text[..Math.Min(m.Text.Length, 90)]));
        Assert.True(Count(true, "OnLocationChanged") == 3, seen);
        foreach (string name in new[] { "OnLocationChanging", "DispatchBrowserEvent", "EndInvokeJSFromDotNet" })
        {
            Assert.True(Count(true, name) == 0, $"{name} during 3 page turns:{Environment.NewLine}{seen}");
        }

        Assert.True(Count(false, "BeginInvokeJS") == 0, $"JS calls during 3 page turns:{Environment.NewLine}{seen}");
        int batches = Count(false, "JS.RenderBatch");
        Assert.True(batches <= 3 * MaxBatchesPerTurn, $"{batches} render batches in 3 page turns:{Environment.NewLine}{seen}");
        Assert.Equal(batches, Count(true, "OnRenderCompleted"));
    }

    // One: the router's render, with the page's new rows in it (GridNavigation). It was three: the router's re-render
    // of the layout, MudDialogProvider's own LocationChanged render (QuietDialogProvider), and the page's rows after the
    // query supplier told the page.
    private const int MaxBatchesPerTurn = 1;

    private static async Task TurnAsync(IPage page, string button)
    {
        string? first = await page.Locator("tr[data-user-id]").First.GetAttributeAsync("data-user-id");
        await page.GetByRole(AriaRole.Link, new() { Name = button }).ClickAsync();
        await Expect(page.Locator("tr[data-user-id]").First).Not.ToHaveAttributeAsync("data-user-id", first!);
    }

    /// <summary>The paths of the requests that Kestrel starts on one port, from ASP.NET Core's own diagnostic events.</summary>
    private sealed class RequestRecorder : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly int port;
        private readonly IDisposable allListeners;
        private readonly ConcurrentBag<IDisposable> subscriptions = [];

        public RequestRecorder(int port)
        {
            this.port = port;
            allListeners = DiagnosticListener.AllListeners.Subscribe(this);
        }

        public ConcurrentQueue<string> Paths { get; } = new();

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == "Microsoft.AspNetCore")
            {
                subscriptions.Add(listener.Subscribe(this, name => name == "Microsoft.AspNetCore.Hosting.BeginRequest"));
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Value?.GetType().GetProperty("httpContext")?.GetValue(value.Value) is HttpContext context && context.Connection.LocalPort == port)
            {
                Paths.Enqueue(context.Request.Path + context.Request.QueryString);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose()
        {
            allListeners.Dispose();
            foreach (var subscription in subscriptions)
            {
                subscription.Dispose();
            }
        }
    }
}
