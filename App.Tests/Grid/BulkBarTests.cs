using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace AdminPortal.Tests.Grid;

/// <summary>The bulk bar's safe defaults, with real MudBlazor rendering: what shows, what is chosen, what Run needs.</summary>
public sealed class BulkBarTests : BunitContext, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are IAsyncDisposable only.
    public new async Task DisposeAsync() => await base.DisposeAsync();

    public BulkBarTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        SetRendererInfo(new RendererInfo("Server", true));
    }

    private int runs;

    private IRenderedComponent<BulkBar<BulkAction>> Bar(int selected = 0, bool filtered = false, BulkAction? action = null, int? preview = null, bool onSelection = true) =>
        Render<BulkBar<BulkAction>>(p => p
            .Add(b => b.Actions, Enum.GetValues<BulkAction>())
            .Add(b => b.Label, UsersPage.BulkLabel)
            .Add(b => b.Action, action)
            .Add(b => b.SelectedCount, selected)
            .Add(b => b.OnSelection, onSelection && selected > 0)
            .Add(b => b.FilterActive, filtered)
            .Add(b => b.Preview, preview)
            .Add(b => b.PreviewVerb, "lock")
            .Add(b => b.Noun, "user")
            .Add(b => b.OnRun, EventCallback.Factory.Create(this, () => runs++)));

    private static AngleSharp.Dom.IElement Button<T>(IRenderedComponent<T> cut, string text) where T : IComponent =>
        cut.FindAll("button").Single(b => b.TextContent.Trim() == text);

    [Fact]
    public void Render_NoSelectionAndNoFilter_ShowsNoBar()
    {
        var bar = Bar();

        Assert.Empty(bar.FindAll("[data-testid=bulk-bar]"));
        Assert.DoesNotContain("Bulk action", bar.Markup);
    }

    [Fact]
    public void Render_WithASelection_PreselectsNoActionAndScopesToTheSelection()
    {
        var bar = Bar(selected: 3);

        Assert.Single(bar.FindAll("[data-testid=bulk-bar]"));
        // The select shows its placeholder, not an action.
        var select = bar.Find("select#bulk-action");
        var chosen = select.QuerySelectorAll("option").Where(o => o.HasAttribute("selected")).ToList();
        Assert.Equal("Choose an action", Assert.Single(chosen).TextContent);
        Assert.Equal("", chosen[0].GetAttribute("value"));
        // The scope is the selection; "All matching the filter" is not even offered without a filter.
        var radios = bar.FindComponents<MudRadio<bool>>();
        Assert.True(bar.FindComponent<MudRadioGroup<bool>>().Instance.Value);
        Assert.True(radios.Single(r => r.Instance.Value == false).Instance.Disabled);
        // Preview and Run are disabled, and the page says why, next to Run.
        Assert.True(Button(bar, "Preview").HasAttribute("disabled"));
        var run = Button(bar, "Run");
        Assert.True(run.HasAttribute("disabled"));
        var hint = bar.Find("[data-testid=bulk-hint]");
        Assert.Equal("Choose an action first.", hint.TextContent.Trim());
        Assert.Equal(hint.Id, run.GetAttribute("aria-describedby"));
    }

    [Fact]
    public void Render_FilterWithoutSelection_OffersOnlyAllMatchingTheFilter()
    {
        var bar = Bar(filtered: true, action: BulkAction.Unlock);

        Assert.Single(bar.FindAll("[data-testid=bulk-bar]"));
        var radios = bar.FindComponents<MudRadio<bool>>();
        Assert.True(radios.Single(r => r.Instance.Value).Instance.Disabled);
        Assert.False(radios.Single(r => !r.Instance.Value).Instance.Disabled);
        Assert.False(Button(bar, "Preview").HasAttribute("disabled"));
        Assert.Equal("Preview first: it shows how many this changes.", bar.Find("[data-testid=bulk-hint]").TextContent.Trim());
    }

    [Fact]
    public void Render_NoFilterAndScopeNotTheSelection_NeverPreviewsEveryRow()
    {
        // A stale "all matching" with the filter since cleared would be every row: neither Preview nor Run.
        var bar = Bar(selected: 2, action: BulkAction.Lock, onSelection: false);

        Assert.True(Button(bar, "Preview").HasAttribute("disabled"));
        Assert.True(Button(bar, "Run").HasAttribute("disabled"));
        Assert.Equal("Select rows, or filter the grid.", bar.Find("[data-testid=bulk-hint]").TextContent.Trim());
    }

    [Fact]
    public async Task Run_AThousandRowsOrFewer_RunsWithoutTypingTheCount()
    {
        Render<MudDialogProvider>();
        var bar = Bar(selected: 1000, action: BulkAction.Lock, preview: 1000);

        Assert.Empty(bar.FindAll("[data-testid=bulk-hint]"));
        await Button(bar, "Run").ClickAsync(new());

        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Run_OverAThousandRows_NeedsTheCountTypedBeforeTheConfirmButtonWorks()
    {
        var dialogs = Render<MudDialogProvider>();
        var bar = Bar(filtered: true, action: BulkAction.Lock, preview: 1_500);

        _ = bar.InvokeAsync(() => Button(bar, "Run").Click());
        dialogs.WaitForAssertion(() => Assert.Single(dialogs.FindAll(".mud-dialog")));
        Assert.Contains("This will lock 1,500 users", dialogs.Markup);
        var confirm = dialogs.FindAll("button").Single(b => b.GetAttribute("data-confirm") == "confirm");
        Assert.Equal("Lock 1,500 users", confirm.TextContent.Trim());
        Assert.True(confirm.HasAttribute("disabled"));
        Assert.Contains("mud-button-filled-error", confirm.ClassName);

        // A near miss, a hostile string and an oversized paste: the button stays disabled, the field says why.
        foreach (string wrong in new[] { "1499", "1,500<script>alert(1)</script>", new string('9', 5_000) })
        {
            dialogs.Find("input").Input(wrong);
            dialogs.WaitForAssertion(() => Assert.Contains("Type 1,500, the number of users this changes.", dialogs.Markup));
            Assert.True(dialogs.FindAll("button").Single(b => b.GetAttribute("data-confirm") == "confirm").HasAttribute("disabled"));
            Assert.Empty(dialogs.FindAll("script")); // the typed text stays the field's value, never markup
        }

        Assert.Equal(0, runs);
        dialogs.Find("input").Input("1,500");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.FindAll("button").Single(b => b.GetAttribute("data-confirm") == "confirm").HasAttribute("disabled")));
        Assert.DoesNotContain("the number of users this changes", dialogs.Markup);
        await dialogs.FindAll("button").Single(b => b.GetAttribute("data-confirm") == "confirm").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Equal(1, runs));
        Assert.Empty(dialogs.FindAll(".mud-dialog"));
    }

    [Fact]
    public void Run_OverAThousandRowsCancelled_RunsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var bar = Bar(filtered: true, action: BulkAction.Lock, preview: 1_001);

        _ = bar.InvokeAsync(() => Button(bar, "Run").Click());
        dialogs.WaitForAssertion(() => Assert.Single(dialogs.FindAll(".mud-dialog")));
        dialogs.FindAll("button").Single(b => b.GetAttribute("data-confirm") == "cancel").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        Assert.Equal(0, runs);
    }

    [Theory]
    [InlineData("1500", true)]
    [InlineData(" 1,500 ", true)]
    [InlineData("1.500", false)]
    [InlineData("1500.0", false)]
    [InlineData("-1500", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsCount_TypedText_MatchesOnlyTheExactCount(string? typed, bool matches) =>
        Assert.Equal(matches, BulkConfirmDialog.IsCount(typed, 1_500));

    [Fact]
    public void Render_Running_ProgressBarHasANameAndTheCountsAsItsValue()
    {
        var bar = Render<BulkBar<BulkAction>>(p => p
            .Add(b => b.Actions, Enum.GetValues<BulkAction>())
            .Add(b => b.Label, UsersPage.BulkLabel)
            .Add(b => b.Running, true)
            .Add(b => b.Done, 1_250)
            .Add(b => b.Total, 4_001));

        var progress = bar.Find("[role=progressbar]");
        Assert.Equal("Bulk action progress", progress.GetAttribute("aria-label"));
        Assert.Equal(("0", "4001", "1250"), (progress.GetAttribute("aria-valuemin"), progress.GetAttribute("aria-valuemax"), progress.GetAttribute("aria-valuenow")));
        Assert.Equal("1,250 of 4,001 done", progress.GetAttribute("aria-valuetext"));
        Assert.Equal("1,250 of 4,001 done", bar.Find("[data-testid=bulk-progress]").TextContent.Trim());
    }
}
