using System.Text.Json.Nodes;
using Sandrun.Receipts;

namespace Sandrun.Tests.Receipts;

/// <summary>RFC 8785 examples, byte for byte.</summary>
public sealed class CanonicalJsonTests
{
    // RFC 8785 Appendix B (IEEE 754 bit pattern → ECMAScript string); checked against node's Number#toString.
    [Theory]
    [InlineData(0x0000000000000000UL, "0")]
    [InlineData(0x8000000000000000UL, "0")]
    [InlineData(0x0000000000000001UL, "5e-324")]
    [InlineData(0x8000000000000001UL, "-5e-324")]
    [InlineData(0x7FEFFFFFFFFFFFFFUL, "1.7976931348623157e+308")]
    [InlineData(0xFFEFFFFFFFFFFFFFUL, "-1.7976931348623157e+308")]
    [InlineData(0x4340000000000000UL, "9007199254740992")]
    [InlineData(0xC340000000000000UL, "-9007199254740992")]
    [InlineData(0x4430000000000000UL, "295147905179352830000")]
    [InlineData(0x44B52D02C7E14AF5UL, "9.999999999999997e+22")]
    [InlineData(0x44B52D02C7E14AF6UL, "1e+23")]
    [InlineData(0x44B52D02C7E14AF7UL, "1.0000000000000001e+23")]
    [InlineData(0x444B1AE4D6E2EF4EUL, "999999999999999700000")]
    [InlineData(0x444B1AE4D6E2EF4FUL, "999999999999999900000")]
    [InlineData(0x444B1AE4D6E2EF50UL, "1e+21")]
    [InlineData(0x3EB0C6F7A0B5ED8CUL, "9.999999999999997e-7")]
    [InlineData(0x3EB0C6F7A0B5ED8DUL, "0.000001")]
    [InlineData(0x41B3DE4355555553UL, "333333333.3333332")]
    [InlineData(0x41B3DE4355555554UL, "333333333.33333325")]
    [InlineData(0x41B3DE4355555555UL, "333333333.3333333")]
    [InlineData(0x41B3DE4355555556UL, "333333333.3333334")]
    [InlineData(0x41B3DE4355555557UL, "333333333.33333343")]
    [InlineData(0xBECBF647612F3696UL, "-0.0000033333333333333333")]
    [InlineData(0x43143FF3C1CB0959UL, "1424953923781206.2")]
    public void Numbers_serialize_like_ecmascript(ulong bits, string expected) =>
        Assert.Equal(expected, CanonicalJson.FormatNumber(BitConverter.UInt64BitsToDouble(bits)));

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NaN_and_infinity_are_refused(double value) =>
        Assert.Throws<ArgumentException>(() => CanonicalJson.FormatNumber(value));

    [Fact]
    public void Rfc8785_section_3_2_sample_is_reproduced_byte_for_byte()
    {
        var input = JsonNode.Parse("""
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """);
        Assert.Equal("""{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""",
            CanonicalJson.Serialize(input));
    }

    [Fact]
    public void Rfc8785_sorting_example_orders_by_utf16_code_units()
    {
        var input = JsonNode.Parse("""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """);
        var expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\","
            + "\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
        Assert.Equal(expected, CanonicalJson.Serialize(input));
    }

    [Fact]
    public void Lone_surrogates_are_refused()
    {
        var node = JsonValue.Create("a\ud800b");
        Assert.Throws<ArgumentException>(() => CanonicalJson.Serialize(node));
    }
}
