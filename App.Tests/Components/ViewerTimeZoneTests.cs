using AdminPortal.App.Components.Shared;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace AdminPortal.Tests.Components;

/// <summary>Times in the viewer's zone: conversion both ways, summer time, and zone ids a browser should never send.</summary>
public sealed class ViewerTimeZoneTests : BunitContext
{
    private static readonly ViewerTimeZone Auckland = ViewerTimeZone.From("Pacific/Auckland");

    [Fact]
    public void Format_Auckland_ShowsSummerAndWinterOffsets()
    {
        Assert.True(Auckland.Recognised);
        // January is summer in New Zealand (NZDT, UTC+13); July is winter (NZST, UTC+12).
        Assert.Equal("2027-01-15 09:30 UTC+13", Auckland.Format(new DateTime(2027, 1, 14, 20, 30, 0, DateTimeKind.Utc)));
        Assert.Equal("2027-07-15 08:30 UTC+12", Auckland.Format(new DateTime(2027, 7, 14, 20, 30, 0, DateTimeKind.Utc)));
        Assert.Equal("2027-01-15T09:30", Auckland.ToInputValue(new DateTime(2027, 1, 14, 20, 30, 0, DateTimeKind.Unspecified)));
        Assert.Contains("Pacific/Auckland", Auckland.Describe(new DateTime(2027, 1, 14, 20, 30, 0, DateTimeKind.Utc)));
        Assert.Equal("2027-01-15 09:30 UTC+5:45", ViewerTimeZone.From("Asia/Kathmandu").Format(new DateTime(2027, 1, 15, 3, 45, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void TryLocalToUtc_Auckland_StoresUtcOnBothSidesOfSummerTime()
    {
        Assert.True(Auckland.TryLocalToUtc("2027-01-15T09:30", out var summer, out string? note));
        Assert.Null(note);
        Assert.Equal(new DateTime(2027, 1, 14, 20, 30, 0, DateTimeKind.Utc), summer);
        Assert.Equal(DateTimeKind.Utc, summer.Kind);

        Assert.True(Auckland.TryLocalToUtc("2027-07-15T09:30", out var winter, out _));
        Assert.Equal(new DateTime(2027, 7, 14, 21, 30, 0, DateTimeKind.Utc), winter);
    }

    [Fact]
    public void TryLocalToUtc_TheHourTheClocksSkip_IsRefused_AndTheRepeatedHourTakesTheFirst()
    {
        // New Zealand's summer time starts on 2026-09-27 at 02:00 (to 03:00) and ends on 2027-04-04 at 03:00 (to 02:00).
        Assert.False(Auckland.TryLocalToUtc("2026-09-27T02:30", out _, out string? gap));
        Assert.Contains("does not exist in Pacific/Auckland", gap);

        Assert.True(Auckland.TryLocalToUtc("2027-04-04T02:30", out var repeated, out string? twice));
        Assert.Contains("happens twice", twice);
        Assert.Equal(new DateTime(2027, 4, 3, 13, 30, 0, DateTimeKind.Utc), repeated); // 02:30 NZDT (UTC+13)
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("../../../../etc/passwd")]
    [InlineData("/etc/localtime")]
    [InlineData("Pacific/Auckland\r\nSet-Cookie: x=1")]
    [InlineData("Pacific%2FAuckland%00")]
    public void From_UnknownOrHostileZone_FallsBackToUtc_AndSaysSo(string? id)
    {
        var zone = ViewerTimeZone.From(id);

        Assert.False(zone.Recognised);
        Assert.Equal("UTC", zone.Name);
        Assert.Equal("2027-01-14 20:30 UTC", zone.Format(new DateTime(2027, 1, 14, 20, 30, 0, DateTimeKind.Utc)));
        Assert.False(ViewerTimeZone.From(new string('A', 10_000)).Recognised);
    }

    [Theory]
    [InlineData("2027-01-15")]
    [InlineData("tomorrow")]
    [InlineData("2027-13-45T99:99")]
    [InlineData("")]
    public void TryLocalToUtc_NotADateTime_AsksForOne(string input)
    {
        Assert.False(Auckland.TryLocalToUtc(input, out _, out string? message));
        Assert.Equal("Choose a date and time.", message);
    }

    [Fact]
    public async Task RelativeTimeAndGridCell_ShowTheLocalTimeUnderTheRelativeOne()
    {
        await Renderer.Dispatcher.InvokeAsync(() => Auckland.UseForCurrentRenderer());
        var at = new DateTime(2027, 1, 14, 20, 30, 0, DateTimeKind.Utc);

        var component = Render<RelativeTime>(parameters => parameters.Add(p => p.At, at));
        var cell = Render((RenderFragment)(builder => GridCells.Time(at)(builder)));

        foreach (var time in new[] { component.Find(".relative-time"), cell.Find(".relative-time") })
        {
            Assert.Equal("2027-01-15 09:30 UTC+13", time.QuerySelector(".absolute-time")!.TextContent);
            Assert.Contains("in the future", time.TextContent);
            Assert.Contains("2027-01-14 20:30:00 UTC", time.GetAttribute("title"));
        }
    }

    [Fact]
    public async Task RelativeTime_WithAHostileZone_ShowsUtc()
    {
        await Renderer.Dispatcher.InvokeAsync(() => ViewerTimeZone.From("<img src=x onerror=alert(1)>").UseForCurrentRenderer());

        var component = Render<RelativeTime>(parameters => parameters.Add(p => p.At, new DateTime(2020, 1, 1, 12, 0, 0, DateTimeKind.Utc)));

        Assert.Equal("2020-01-01 12:00 UTC", component.Find(".absolute-time").TextContent);
        Assert.Empty(component.FindAll("img"));
    }
}
