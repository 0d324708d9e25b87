using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.JSInterop;

namespace AdminPortal.App.Components;

/// <summary>
/// Makes the JSON type metadata each circuit's JS runtime builds smaller (docs/performance.md, thirteenth round).
/// Microsoft.JSInterop gives every circuit its own <see cref="JsonSerializerOptions"/> (its converters hold the
/// circuit), so System.Text.Json builds and keeps type metadata per circuit: about 107 KB of a users-grid circuit.
/// Two things in it are waste, and this resolver, put in front of the runtime's own resolvers before its first call,
/// removes them:
/// <list type="bullet">
/// <item>Every <c>int</c>, <c>Guid</c> or <c>string</c> passed as a JS-interop argument (declared <c>object</c>) makes
/// System.Text.Json look for a polymorphic ancestor, and that builds metadata for each interface the value's type has
/// (<c>INumber&lt;int&gt;</c>, <c>IParsable&lt;Guid&gt;</c> … 28 for <c>int</c> alone). The base library's
/// non-collection interfaces are never what a call declares, so they get no metadata here (the lookup treats that as
/// "no ancestor", the same answer it reaches after building them).</item>
/// <item>The property accessors and constructors System.Text.Json emits (a <c>DynamicMethod</c> each, kept per
/// circuit because its own cache of them lasts a second) are shared: the first circuit's delegate is used by all.</item>
/// </list>
/// Nothing else changes: the same converters, the same resolvers, the same JSON. If a framework update moves the
/// runtime's options out of reach or freezes them earlier, the runtime is left exactly as the framework made it
/// (<see cref="Applied"/> says which; a test fails then).
/// </summary>
public sealed class JSInteropMetadata(IJsonTypeInfoResolver inner) : IJsonTypeInfoResolver
{
    private static readonly ConcurrentDictionary<MemberInfo, (Func<object, object?>? Get, Action<object, object?>? Set)> SharedAccessors = new();
    private static readonly ConcurrentDictionary<Type, Func<object>> SharedCreators = new();

    private static readonly PropertyInfo? OptionsProperty =
        typeof(JSRuntime).GetProperty("JsonSerializerOptions", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Whether <paramref name="runtime"/>'s options now resolve through this class.</summary>
    public static bool Applied(IJSRuntime runtime) =>
        OptionsOf(runtime) is { } options && options.TypeInfoResolverChain is [JSInteropMetadata];

    public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options)
    {
        if (IsAncestorOnly(type))
        {
            return null;
        }

        var info = inner.GetTypeInfo(type, options);
        if (info is not null)
        {
            Share(info);
        }

        return info;
    }

    /// <summary>An interface of the base library that is not a collection: only ever asked for as an ancestor.</summary>
    public static bool IsAncestorOnly(Type type) =>
        type.IsInterface && type.Assembly == typeof(object).Assembly && !typeof(IEnumerable).IsAssignableFrom(type);

    private static void Share(JsonTypeInfo info)
    {
        // Objects and collections (Dictionary<,>, List<>) have an emitted constructor; values (Kind None) have none.
        if (info.Kind != JsonTypeInfoKind.None && info.CreateObject is { } create)
        {
            info.CreateObject = SharedCreators.GetOrAdd(info.Type, create);
        }

        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            if (property.AttributeProvider is not MemberInfo member)
            {
                continue;
            }

            var shared = SharedAccessors.GetOrAdd(member, (property.Get, property.Set));
            if (property.Get is not null && shared.Get is not null)
            {
                property.Get = shared.Get;
            }

            if (property.Set is not null && shared.Set is not null)
            {
                property.Set = shared.Set;
            }
        }
    }

    private static JsonSerializerOptions? OptionsOf(IJSRuntime runtime) =>
        runtime is JSRuntime ? OptionsProperty?.GetValue(runtime) as JsonSerializerOptions : null;

    /// <summary>Puts this resolver in front of <paramref name="runtime"/>'s, if it has not serialized anything yet.</summary>
    public static IJSRuntime Apply(IJSRuntime runtime)
    {
        if (OptionsOf(runtime) is { IsReadOnly: false } options && options.TypeInfoResolverChain is not [JSInteropMetadata])
        {
            // An empty chain is what System.Text.Json fills with its reflection resolver on first use (so .NET 10's
            // runtime leaves it); a framework that puts resolvers there keeps them, in order, behind this one.
            var resolvers = options.TypeInfoResolverChain.ToArray();
            if (resolvers.Length == 0 && !JsonSerializer.IsReflectionEnabledByDefault)
            {
                return runtime;
            }

            IJsonTypeInfoResolver inner = resolvers.Length == 0 ? new DefaultJsonTypeInfoResolver() : JsonTypeInfoResolver.Combine(resolvers);
            options.TypeInfoResolverChain.Clear();
            options.TypeInfoResolverChain.Add(new JSInteropMetadata(inner));
        }

        return runtime;
    }
}

public static class JSInteropMetadataSetup
{
    /// <summary>Wraps the circuit's <see cref="IJSRuntime"/> registration so each new runtime gets <see cref="JSInteropMetadata"/>.</summary>
    public static IServerSideBlazorBuilder WithSharedJSInteropMetadata(this IServerSideBlazorBuilder builder)
    {
        var services = builder.Services;
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IJSRuntime));
        if (registered is null || registered.IsKeyedService || registered.Lifetime != ServiceLifetime.Scoped)
        {
            return builder;
        }

        Func<IServiceProvider, object>? create = registered.ImplementationFactory
            ?? (registered.ImplementationType is { } type ? provider => ActivatorUtilities.CreateInstance(provider, type) : null);
        if (create is not null)
        {
            services.Remove(registered);
            services.AddScoped<IJSRuntime>(provider => JSInteropMetadata.Apply((IJSRuntime)create(provider)));
        }

        return builder;
    }
}
