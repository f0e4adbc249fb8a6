from pmkv.cli.main import main

if __name__ == "__main__":  # not when a worker process imports the main module
    main()
