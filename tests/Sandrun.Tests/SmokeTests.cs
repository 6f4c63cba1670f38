public sealed class SmokeTests { [Fact] public void Options_have_spec_defaults() => Assert.Equal(1000, new Sandrun.SandrunOptions().QueueCapacity); }
