using System.Reflection;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.RenderTree;

// The render tree is Blazor's internals (BL0006): a test that weighs what a page keeps has to read them.
#pragma warning disable BL0006

namespace AdminPortal.Tests.Infrastructure;

/// <summary>
/// What a component keeps of its last render: its current render-tree frames. A page keeps two render-tree builders
/// for its life, and each rents the next power of two above the frames it renders (docs/performance.md, "Tenth
/// round"), so a grid's weight tests count them.
/// </summary>
public static class RenderedFrames
{
    // Renderer.GetCurrentRenderTreeFrames is protected: reflection, in tests only.
    private static readonly MethodInfo CurrentFrames = typeof(Renderer)
        .GetMethod("GetCurrentRenderTreeFrames", BindingFlags.NonPublic | BindingFlags.Instance)!;

    /// <summary>The frames of the component's current render.</summary>
    public static ArrayRange<RenderTreeFrame> Of(Renderer renderer, int componentId) =>
        (ArrayRange<RenderTreeFrame>)CurrentFrames.Invoke(renderer, [componentId])!;

    /// <summary>
    /// The frames of whichever component renders the <paramref name="elementName"/> element itself: the page when its
    /// table is markup, its MudSimpleTable when the rows are that component's child content.
    /// </summary>
    public static (string Component, ArrayRange<RenderTreeFrame> Frames) Holding<TPage>(Renderer renderer, IRenderedComponent<TPage> page, string elementName)
        where TPage : class, IComponent =>
        new[] { (Name: typeof(TPage).Name, Id: page.ComponentId) }
            .Concat(page.FindComponents<IComponent>().Select(c => (Name: c.Instance.GetType().Name, Id: c.ComponentId)))
            .Select(c => (c.Name, Frames: Of(renderer, c.Id)))
            .Single(c => c.Frames.Array.Take(c.Frames.Count).Any(f => f.FrameType == RenderTreeFrameType.Element && f.ElementName == elementName));

    /// <summary>How many frames the component's only <paramref name="elementName"/> element holds, itself included.</summary>
    public static int ElementSubtree(ArrayRange<RenderTreeFrame> frames, string elementName) =>
        frames.Array.Take(frames.Count).Single(f => f.FrameType == RenderTreeFrameType.Element && f.ElementName == elementName).ElementSubtreeLength;
}
